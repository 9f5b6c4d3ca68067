"""Find messages that a catalogue lacks: python -m coach.i18n_check [--po LANGUAGE].

Extracts every message marked for translation in the Python code (`_()`, `gettext`,
`ngettext`) and in the templates (Babel's extractor with Jinja's), then reports each
one that any of the fi, sv and en catalogues lacks, has marked fuzzy, or translates
with different %(name)s placeholders. --po prints the missing entries of a language
as .po text to paste into a catalogue.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from coach.i18n import LANGUAGES, LOCALE_DIR
from coach.settings import FRONTEND_DIR, PROJECT_ROOT

PYTHON_DIR = PROJECT_ROOT / "coach"
TEMPLATE_DIR = FRONTEND_DIR / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                 "lstrip_blocks": "true", "newstyle_gettext": "true"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


@dataclass
class Message:
    msgid: str
    places: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    language: str
    msgid: str
    kind: str  # "missing", "fuzzy" or "placeholders"
    places: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.language}] {self.kind}: {self.msgid!r} ({', '.join(self.places[:3])})"


def _collect(found: Iterable[tuple], root: Path, into: dict[str, Message]) -> None:
    for filename, lineno, message, _comments, _context in found:
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                entry = into.setdefault(msgid, Message(msgid))
                entry.places.append(f"{root.name}/{filename}:{lineno}")


def extract_messages(python_dir: Path = PYTHON_DIR,
                     template_dir: Path = TEMPLATE_DIR) -> dict[str, Message]:
    """Return every translatable message of the code and templates, with where it is used."""
    messages: dict[str, Message] = {}
    _collect(extract_from_dir(str(python_dir), method_map=[("**.py", "python")],
                              keywords=KEYWORDS), python_dir, messages)
    _collect(extract_from_dir(str(template_dir), method_map=[("**.html", "jinja2")],
                              options_map={"**.html": JINJA_OPTIONS}, keywords=KEYWORDS),
             template_dir, messages)
    return messages


def read_catalogue(language: str, locale_dir: Path = LOCALE_DIR) -> dict[str, tuple[str, bool]]:
    """Return msgid -> (translation, fuzzy) merged from every .po file of a language."""
    merged: dict[str, tuple[str, bool]] = {}
    for po_file in sorted((locale_dir / language).glob("*.po")):
        with po_file.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            if message.id and isinstance(message.id, str) and message.string:
                merged[message.id] = (str(message.string), message.fuzzy)
    return merged


def find_problems(messages: dict[str, Message], languages: Iterable[str] = LANGUAGES,
                  locale_dir: Path = LOCALE_DIR) -> list[Problem]:
    """Return every message a catalogue lacks, marks fuzzy, or breaks the placeholders of."""
    problems = []
    for language in languages:
        catalogue = read_catalogue(language, locale_dir)
        for msgid, message in sorted(messages.items()):
            places = tuple(message.places)
            if msgid not in catalogue:
                problems.append(Problem(language, msgid, "missing", places))
                continue
            translation, fuzzy = catalogue[msgid]
            if fuzzy:
                problems.append(Problem(language, msgid, "fuzzy", places))
            if set(PLACEHOLDER.findall(translation)) != set(PLACEHOLDER.findall(msgid)):
                problems.append(Problem(language, msgid, "placeholders", places))
    return problems


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def missing_as_po(problems: list[Problem], language: str) -> str:
    """Return the missing messages of one language as .po entries with empty translations."""
    lines = []
    for problem in problems:
        if problem.language == language and problem.kind == "missing":
            lines += [f"#: {' '.join(problem.places[:3])}", f"msgid {_po_string(problem.msgid)}",
                      'msgstr ""', ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach.i18n_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--po", choices=LANGUAGES, help="print missing entries as .po text")
    args = parser.parse_args(argv)
    problems = find_problems(extract_messages())
    if args.po:
        print(missing_as_po(problems, args.po))
        return 1 if problems else 0
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in the {', '.join(LANGUAGES)} catalogues")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
