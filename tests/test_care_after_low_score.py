"""Care after a low score (issue 11, points 8–10), on the server.

8: the remark about translations stays in the instrument file and the export's codebook,
   not on the participant's pages.
9: a WHO-5 of 28 or below, or a fall by the meaningful change, makes the progress page
   say so kindly and show where to get help, from a data file in three languages.
10: the coach's home lists "Talk with X" until the coach marks it done (audited); nothing
   of it reaches evaluators.
The browser test (tests/browser/test_care_pages.py) covers what people see on a phone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tomllib

import pytest

from coach.assessments import care
from coach.assessments.care import (
    FELL,
    LOW,
    HelpContactsError,
    care_reason,
    care_steps,
    help_contacts,
    parse_help_contacts,
)
from coach.assessments.instruments import (
    INSTRUMENTS_DIR,
    LANGUAGES,
    InstrumentFileError,
    get_instrument,
    parse_instrument,
)
from coach.assessments.tables import Assessment, CareFollowUp
from coach.audit.log import now
from coach.forms import today
from coach.participants.erasure import erase_participant
from coach.participants.tables import Participant
from tests.coach_world import HTMX, audit_actions, is_fragment, make_world, sign_in
from tests.export_helpers import CSV_FILES, all_text, export
from tests.factories import make_participant

WHO5 = "who5"
DIAGNOSIS_WORDS = ("depress", "masenn", "diagnos", "disorder", "häiriö", "sjukdom", "illness")
TRANSLATION_REMARK = {
    "fi": "eivät virallinen käännös",
    "sv": "inte den officiella",
    "en": "not the official one",
}


async def add_who5(participant, score: float, days_ago: int = 0) -> Assessment:
    """Store a WHO-5 result as the check would (band from the instrument file)."""
    instrument = get_instrument(WHO5)
    row = Assessment(participant=participant.id, instrument=WHO5, instrument_version="1998",
                     taken_on=today() - dt.timedelta(days=days_ago), completed_at=now(),
                     answers={}, raw_score=int(score // 4), score=score,
                     band=instrument.band_for(score).id, mode="invite")
    await row.save()
    return row


def visible_text(html: str) -> str:
    """Return the page's words without tags, for checks on what a person reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- point 8: the remark about translations -----------------------------------------------


async def test_the_check_does_not_tell_participants_about_translations(client):
    w = await make_world()
    await sign_in(client, participant=w.anna)
    for language in LANGUAGES:
        client.cookies.set("lang", language)
        page = await client.get("/me/check")
        assert page.status_code == 200
        assert TRANSLATION_REMARK[language] not in page.text
        assert "translation" not in page.text.lower() and "käännös" not in page.text


async def test_the_translation_remark_stays_in_the_instrument_file_and_the_codebook(tmp_path):
    who5 = get_instrument(WHO5)
    assert who5.official == {"fi": False, "sv": False, "en": True}
    assert "not the official" in who5.licence
    await export(tmp_path / "out")
    codebook = (tmp_path / "out" / "codebook.md").read_text(encoding="utf-8")
    assert "## Instruments" in codebook
    section = codebook.split("## Instruments")[1].split("\n## ")[0]
    assert "`who5`" in section
    assert "Official wording: en. Our own translation, not the official one: fi, sv." in section


# --- point 9: the rule, from the instrument file -----------------------------------------


def test_the_thresholds_come_from_the_instrument_file():
    who5 = get_instrument(WHO5)
    assert who5.scoring.care_at_or_below == 28
    assert who5.scoring.meaningful_change == 10
    assert get_instrument("was").scoring.care_at_or_below is None
    assert [i.id for i in care.care_instruments()] == [WHO5]


@pytest.mark.parametrize(("scores", "expected"), [
    ([28.0], LOW),  # by hand: 28 is "28 or below"
    ([0.0], LOW),
    ([32.0], None),  # the next possible score is not
    ([64.0, 28.0], LOW),  # low wins over fell
    ([64.0, 52.0], FELL),  # down 12 >= 10
    ([60.0, 50.0], FELL),  # down exactly 10
    ([64.0, 56.0], None),  # down 8 < 10
    ([40.0, 64.0, 52.0], FELL),  # against the previous check, not the first
    ([80.0, 40.0, 44.0], None),  # up since the previous check
])
def test_care_after_a_low_score_or_a_fall(scores, expected):
    assert care_reason(get_instrument(WHO5), scores) == expected


def test_an_instrument_without_a_threshold_never_asks_for_care():
    assert care_reason(get_instrument("was"), [0.0]) is None
    assert care_reason(get_instrument("was"), [10.0, 0.0]) is None


def _who5_file() -> dict:
    return tomllib.loads((INSTRUMENTS_DIR / "who5.toml").read_text(encoding="utf-8"))


def test_a_threshold_outside_the_scale_is_refused():
    data = _who5_file()
    data["scoring"]["care_at_or_below"] = 120
    with pytest.raises(InstrumentFileError, match="care_at_or_below 120 is outside"):
        parse_instrument(data, "who5.toml")


def test_who5_band_names_for_participants_are_neutral():
    labels = [getattr(band.label, language) for band in get_instrument(WHO5).scoring.bands
              for language in LANGUAGES]
    assert "Lower than usual" in labels and "Tavallista matalampi" in labels
    for label in labels:
        assert "very" not in label.lower() and "hyvin" not in label.lower()
        assert "mycket" not in label.lower()
        assert not any(word in label.lower() for word in DIAGNOSIS_WORDS)


# --- point 9: the help contacts file -------------------------------------------------------


def test_help_contacts_have_all_three_languages_and_the_date_they_were_checked():
    contacts = help_contacts()
    assert isinstance(contacts.checked_on, dt.date)
    assert {line.language for line in contacts.helplines} == set(LANGUAGES)
    numbers = {line.language: line.phone for line in contacts.helplines}
    assert numbers == {"fi": "09 2525 0111", "sv": "09 2525 0112", "en": "09 2525 0116"}
    assert contacts.emergency.phone == "112" and contacts.emergency.tel == "tel:112"
    for contact in (*contacts.helplines, contacts.emergency):
        for language in LANGUAGES:
            assert contact.name.get(language).strip() and contact.open.get(language).strip()
    assert help_contacts() is help_contacts()  # read once


def test_the_helpline_in_the_pages_language_comes_first():
    contacts = help_contacts()
    for language in LANGUAGES:
        assert contacts.helplines_for(language)[0].language == language
    assert contacts.helplines_for("sv")[0].tel == "tel:0925250112"


def _contacts_file() -> dict:
    return tomllib.loads(care.HELP_CONTACTS_FILE.read_text(encoding="utf-8"))


def test_a_help_contacts_file_without_a_language_is_refused():
    data = _contacts_file()
    data["helplines"] = [line for line in data["helplines"] if line["language"] != "sv"]
    with pytest.raises(HelpContactsError, match="no helpline answers in 'sv'"):
        parse_help_contacts(data)
    data = _contacts_file()
    del data["helplines"][0]["open"]["en"]
    with pytest.raises(HelpContactsError, match=r"helplines\[0\]\.open is missing the 'en'"):
        parse_help_contacts(data)
    data = _contacts_file()
    del data["checked_on"]
    with pytest.raises(HelpContactsError, match="checked_on"):
        parse_help_contacts(data)


# --- point 9: the progress page ------------------------------------------------------------


async def test_a_low_result_shows_kind_words_and_where_to_get_help(client):
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await sign_in(client, participant=w.anna)
    page = await client.get("/me/progress")
    assert page.status_code == 200
    assert 'id="care"' in page.text
    assert "lower than usual" in page.text
    assert "Talk to your coach" in page.text
    for number, tel in (("09 2525 0111", "tel:0925250111"), ("09 2525 0112", "tel:0925250112"),
                        ("09 2525 0116", "tel:0925250116"), ("112", "tel:112")):
        assert f'href="{tel}"' in page.text and number in page.text
    assert "Checked on" in page.text


async def test_a_fall_since_the_previous_check_shows_help_too(client):
    w = await make_world()
    await add_who5(w.anna, 72.0, days_ago=30)
    await add_who5(w.anna, 60.0)
    await sign_in(client, participant=w.anna)
    page = await client.get("/me/progress")
    assert 'id="care"' in page.text
    assert "lower than last time" in page.text


async def test_a_good_or_steady_result_shows_no_help_box(client):
    w = await make_world()
    await add_who5(w.anna, 24.0, days_ago=60)  # an earlier low result is not the latest
    await add_who5(w.anna, 64.0, days_ago=30)
    await add_who5(w.anna, 56.0)  # down 8: less than the meaningful change
    await sign_in(client, participant=w.anna)
    page = await client.get("/me/progress")
    assert page.status_code == 200 and 'id="care"' not in page.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_help_box_uses_no_diagnosis_words(client, language):
    w = await make_world()
    await add_who5(w.anna, 20.0)
    await sign_in(client, participant=w.anna)
    client.cookies.set("lang", language)
    page = await client.get("/me/progress")
    assert 'id="care"' in page.text
    words = visible_text(page.text).lower()
    assert not any(word in words for word in DIAGNOSIS_WORDS), language
    contacts = help_contacts()
    assert contacts.helplines_for(language)[0].name.get(language) in page.text


# --- point 10: the coach's next step ---------------------------------------------------


async def test_the_coach_sees_talk_with_for_their_own_participant(client):
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await add_who5(w.ben, 72.0, days_ago=30)
    await add_who5(w.ben, 60.0)
    await add_who5(w.stranger, 16.0)
    await sign_in(client, w.coach)
    page = await client.get("/")
    assert "Talk with Anna: wellbeing low" in page.text
    assert "Talk with Ben: wellbeing fell since last time" in page.text
    assert "Stranger" not in page.text
    fragment = await client.get("/", headers=HTMX)
    assert is_fragment(fragment) and "Talk with Anna: wellbeing low" in fragment.text


async def test_another_coach_an_evaluator_see_nothing_and_an_admin_sees_every_group(client):
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await add_who5(w.stranger, 16.0)
    await sign_in(client, w.other_coach)
    page = await client.get("/")
    assert "Anna" not in page.text and "Talk with Stranger: wellbeing low" in page.text
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    page = await client.get("/")
    assert "Talk with" not in page.text and "Anna" not in page.text
    client.cookies.clear()
    await sign_in(client, w.admin)
    page = await client.get("/")
    assert "Talk with Anna: wellbeing low" in page.text
    assert "Talk with Stranger: wellbeing low" in page.text


async def test_a_withdrawn_or_erased_participant_never_shows_up():
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await add_who5(w.ben, 24.0)
    # An erased participant's kept results belong to an anonymous record ("unlink").
    anonymous = await make_participant(w.group, display_name="", consent=False,
                                       erased_at=now())
    await add_who5(anonymous, 8.0)
    await Participant.update({Participant.consent_withdrawn_on: today()}).where(
        Participant.id == w.ben.id)
    steps = await care_steps([w.group.id])
    assert [step.participant_id for step in steps[w.group.id]] == [w.anna.id]


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_erasing_a_participant_removes_their_follow_ups(mode):
    w = await make_world()
    low = await add_who5(w.anna, 24.0)
    await care.mark_done(w.anna.id, low.id, w.coach.id)
    await add_who5(w.anna, 20.0)  # a newer low check, not yet followed up
    await Participant.update({Participant.consent_withdrawn_on: today()}).where(
        Participant.id == w.anna.id)
    await erase_participant(w.anna.id, mode, actor_user_id=w.admin.id, actor_label="admin")
    assert await CareFollowUp.count() == 0
    assert (await care_steps([w.group.id]))[w.group.id] == []


async def test_mark_done_hides_the_step_and_is_audited(client):
    w = await make_world()
    low = await add_who5(w.anna, 24.0)
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/care/done",
                                 data={"assessment": str(low.id)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    [row] = await CareFollowUp.select()
    assert (row["participant"], row["assessment"], row["done_by"]) == (w.anna.id, low.id,
                                                                       w.coach.id)
    [event] = await audit_actions("care.done")
    assert event["actor_user_id"] == w.coach.id
    assert (event["target_type"], event["target_id"]) == ("participant", w.anna.id)
    assert event["detail"] == {"assessment": low.id, "reason": LOW}
    page = await client.get("/")
    assert "Talk with Anna" not in page.text
    assert "Marked as done." in page.text
    # The participant sees in their own access log that it was noted, in plain words.
    client.cookies.clear()
    await sign_in(client, participant=w.anna)
    data_page = await client.get("/me/data")
    assert "Your coach" in data_page.text
    assert "noted that they talked with you about how you are doing" in data_page.text


async def test_a_new_low_check_after_mark_done_shows_the_step_again(client):
    w = await make_world()
    low = await add_who5(w.anna, 24.0, days_ago=30)
    await sign_in(client, w.coach)
    await client.post(f"/participants/{w.anna.id}/care/done", data={"assessment": str(low.id)})
    assert "Talk with Anna" not in (await client.get("/")).text
    await add_who5(w.anna, 20.0)
    assert "Talk with Anna: wellbeing low" in (await client.get("/")).text


async def test_marking_done_twice_keeps_one_row():
    w = await make_world()
    low = await add_who5(w.anna, 24.0)
    # Two coaches pressing at the same moment: one row, no error.
    results = await asyncio.gather(care.mark_done(w.anna.id, low.id, w.coach.id),
                                   care.mark_done(w.anna.id, low.id, w.admin.id))
    assert LOW in results
    assert await CareFollowUp.count() == 1
    # The step is closed now: a form sent again changes nothing.
    assert await care.mark_done(w.anna.id, low.id, w.coach.id) is None
    assert await CareFollowUp.count() == 1


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999"])
async def test_a_bad_or_stale_assessment_id_changes_nothing(client, value):
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/care/done",
                                 data={"assessment": value}, follow_redirects=False)
    assert response.status_code == 303
    assert await CareFollowUp.count() == 0
    assert await audit_actions("care.done") == []
    page = await client.get("/")
    assert "This step was already done or has changed." in page.text
    assert "Talk with Anna: wellbeing low" in page.text


async def test_an_assessment_of_another_participant_or_a_good_one_is_refused(client):
    w = await make_world()
    anna_low = await add_who5(w.anna, 24.0)
    good = await add_who5(w.ben, 80.0)
    await sign_in(client, w.coach)
    for participant, assessment in ((w.ben, anna_low), (w.ben, good)):
        await client.post(f"/participants/{participant.id}/care/done",
                          data={"assessment": str(assessment.id)})
    assert await CareFollowUp.count() == 0


async def test_who_may_mark_done(client):
    w = await make_world()
    low = await add_who5(w.anna, 24.0)
    url = f"/participants/{w.anna.id}/care/done"
    data = {"assessment": str(low.id)}
    response = await client.post(url, data=data, follow_redirects=False)
    assert response.status_code in (303, 403)  # anonymous: to /login, or no CSRF token
    for actor, expected in ((w.other_coach, 404), (w.evaluator, 403)):
        client.cookies.clear()
        await sign_in(client, actor)
        response = await client.post(url, data=data, follow_redirects=False)
        assert response.status_code == expected
    client.cookies.clear()
    await sign_in(client, participant=w.anna)
    assert (await client.post(url, data=data, follow_redirects=False)).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.coach)
    assert (await client.get(url)).status_code == 405
    del client.headers["x-csrftoken"]
    assert (await client.post(url, data=data, follow_redirects=False)).status_code == 403
    assert await CareFollowUp.count() == 0


async def test_the_follow_up_never_reaches_evaluators(client, tmp_path):
    w = await make_world()
    low = await add_who5(w.anna, 24.0)
    await care.mark_done(w.anna.id, low.id, w.coach.id)
    summary = await export(tmp_path / "out")
    assert summary is not None
    names = {path.name for path in (tmp_path / "out").iterdir()}
    assert names == {f"{name}.csv" for name in CSV_FILES} | {"codebook.csv", "codebook.md",
                                                             "datapackage.json"}
    text = all_text(tmp_path / "out").lower()
    assert "follow" not in text and "talk with" not in text and "done_by" not in text
    await sign_in(client, w.evaluator)
    for path in ("/", "/reports", "/reports/summary"):
        page = await client.get(path)
        assert page.status_code == 200
        assert "Talk with" not in page.text and "Anna" not in page.text


# --- the coach's home stays quick ----------------------------------------------------------


class StatementCounter:
    """Count the SQL statements the tables' engine runs."""

    def __init__(self, monkeypatch):
        self.count = 0
        engine = type(Assessment._meta.db)
        original = engine.run_querystring

        async def counting(engine_self, querystring, *args, **kwargs):
            self.count += 1
            return await original(engine_self, querystring, *args, **kwargs)

        monkeypatch.setattr(engine, "run_querystring", counting)


async def _statements_for_home(client, counter) -> int:
    await client.get("/")  # the first request may refresh the session: not counted
    before = counter.count
    page = await client.get("/")
    assert page.status_code == 200
    return counter.count - before


async def test_the_home_page_runs_as_many_statements_for_one_or_many_steps(client, monkeypatch):
    w = await make_world()
    await add_who5(w.anna, 24.0)
    await sign_in(client, w.coach)
    counter = StatementCounter(monkeypatch)
    few = await _statements_for_home(client, counter)
    for number in range(6):
        person = await make_participant(w.group, display_name=f"P{number}")
        await add_who5(person, 80.0, days_ago=30)
        done = await add_who5(person, 20.0 + number)
        if number % 2:
            await care.mark_done(person.id, done.id, w.coach.id)
    many = await _statements_for_home(client, counter)
    assert (await client.get("/")).text.count("data-care=") == 4  # Anna and three still open
    assert few > 0 and many == few
