"""Translations: Babel message catalogues for Finnish, Swedish and English.

The catalogues are the .po files under coach/locale; they are read at start-up,
so there is no compile step. The language of the current request lives in a
context variable that the language middleware sets.
"""

from __future__ import annotations

import contextvars
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_language", default=DEFAULT_LANGUAGE
)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Return msgid -> translation for a language, merged from every .po file of it.

    Each feature keeps its own file (coach/locale/<language>/<feature>.po) so that
    work on different features never edits the same catalogue.
    """
    merged: dict[str, str] = {}
    for po_file in sorted((LOCALE_DIR / language).glob("*.po")):
        with po_file.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            if message.id and isinstance(message.id, str) and message.string:
                merged[message.id] = message.string
    return merged


def gettext(message: str, language: str | None = None) -> str:
    """Translate a message into the current (or given) language."""
    return catalogue(language or current_language.get()).get(message, message)


_ = gettext


def pick_language(choice: str | None, accept_language: str | None) -> str:
    """Return the user's choice, else the browser's preference, else Finnish."""
    if choice in LANGUAGES:
        return choice  # type: ignore[return-value]
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def parse_accept_language(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]


def babel_locale(language: str) -> str:
    """Return the Babel locale used to format dates and numbers for a language."""
    return {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}.get(language, "fi_FI")
