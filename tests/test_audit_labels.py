"""Every audit action written anywhere in coach/ has words in every language."""

from __future__ import annotations

import ast
from pathlib import Path

from coach.audit.labels import action_in_words, action_labels
from coach.i18n import LANGUAGES, current_language

PACKAGE = Path(__file__).resolve().parents[1] / "coach"
# The two functions every event goes through; they pass the caller's code on.
WRAPPERS = {("auth/audit.py", "record")}


def _code_argument(call: ast.Call) -> ast.expr | None:
    """Return the expression of the action code in an audit(...) or record(...) call."""
    name = call.func.id if isinstance(call.func, ast.Name) else (
        call.func.attr if isinstance(call.func, ast.Attribute) else "")
    for keyword in call.keywords:
        if keyword.arg == "action" and name in ("audit", "record"):
            return keyword.value
    if name == "audit" and len(call.args) >= 2:
        return call.args[1]
    if name == "record" and call.args:
        return call.args[0]
    return None


def _literals(node: ast.expr) -> list[str] | None:
    """Return the codes an expression can give, or None when they cannot be read."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def codes_used() -> tuple[dict[str, str], list[str]]:
    """Return code -> first place it is written, and the places whose code is not a literal."""
    found: dict[str, str] = {}
    unreadable: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            argument = _code_argument(node)
            if argument is None:
                continue
            codes = _literals(argument)
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if codes is None:
                if (relative, name) not in WRAPPERS:
                    unreadable.append(f"{relative}:{node.lineno}")
                continue
            for code in codes:
                found.setdefault(code, f"{relative}:{node.lineno}")
    return found, unreadable


def test_the_scan_finds_the_audit_calls_of_the_code_base():
    found, _ = codes_used()
    # One of each way of writing an event: audit(request, ...), record(...) on one line
    # and record(\n "code", ...) over several lines.
    assert {"user.disable", "login.success", "participant.erase", "audit.export"} <= set(found)
    assert len(found) >= 50


def test_every_action_code_in_the_code_base_has_words():
    found, unreadable = codes_used()
    assert not unreadable, ("write the action code as a literal string so it can be checked: "
                            + ", ".join(unreadable))
    missing = {code: place for code, place in found.items() if code not in action_labels()}
    assert not missing, f"add these codes to coach/audit/labels.py: {missing}"


def labels_in(language: str) -> dict[str, str]:
    token = current_language.set(language)
    try:
        return action_labels()
    finally:
        current_language.reset(token)


def test_every_label_is_translated_and_differs_from_its_code():
    english = labels_in("en")
    for language in LANGUAGES:
        for code, words in labels_in(language).items():
            assert words and words != code, (language, code)
            if language != "en":
                assert words != english[code], f"{code} is not translated into {language}"


def test_an_unknown_code_is_shown_as_it_is():
    assert action_in_words("something.new", action_labels()) == "something.new"
    assert action_in_words("login.success", action_labels()) == "kirjautui sisään"
