"""Every message shown to a user is in the Finnish, Swedish and English catalogues."""

from __future__ import annotations

from coach.i18n_check import extract_messages, find_problems, missing_as_po


def test_every_message_is_translated_in_every_language():
    problems = find_problems(extract_messages())
    assert not problems, "\n".join(str(problem) for problem in problems[:50]) + (
        f"\n... {len(problems)} in all; run: python -m coach.i18n_check --po fi"
    )


def test_extraction_finds_messages_in_python_and_in_templates():
    messages = extract_messages()
    assert "Page not found." in messages  # coach/errors.py
    assert "Skip to content" in messages  # frontend/templates/base.html
    assert any(place.startswith("templates/base.html:") for place in
               messages["Skip to content"].places)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def po(entries):
    return "".join(f'msgid "{msgid}"\nmsgstr "{msgstr}"\n\n' for msgid, msgstr in entries)


def test_checker_reports_missing_fuzzy_and_broken_placeholders(tmp_path):
    write(tmp_path / "code" / "feature.py",
          'from coach.i18n import gettext as _\n_("Saved")\n_("Hello %(name)s") % {"name": 1}\n')
    write(tmp_path / "templates" / "page.html",
          '<p>{{ _("Bye %(name)s", name=user) }}</p>{{ _("Fuzzy one") }}\n')
    write(tmp_path / "locale" / "fi" / "a.po",
          po([("Saved", "Tallennettu"), ("Hello %(name)s", "Hei %(nimi)s")]))
    write(tmp_path / "locale" / "fi" / "b.po",
          '#, fuzzy\nmsgid "Fuzzy one"\nmsgstr "Epäselvä"\n\n'
          + po([("Bye %(name)s", "Hei hei %(name)s")]))

    messages = extract_messages(tmp_path / "code", tmp_path / "templates")
    problems = {(p.msgid, p.kind) for p in find_problems(messages, ["fi"], tmp_path / "locale")}

    assert set(messages) == {"Saved", "Hello %(name)s", "Bye %(name)s", "Fuzzy one"}
    assert problems == {("Hello %(name)s", "placeholders"), ("Fuzzy one", "fuzzy")}
    missing_sv = find_problems(messages, ["sv"], tmp_path / "locale")
    assert {p.kind for p in missing_sv} == {"missing"} and len(missing_sv) == 4
    assert 'msgid "Saved"\nmsgstr ""' in missing_as_po(missing_sv, "sv")
