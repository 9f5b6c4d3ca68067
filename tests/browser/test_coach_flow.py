"""A coach's phone in a real browser: sign in, log a meeting, record a new job.

Run in Finnish, Swedish and English at 360×740; axe-core checks every page of the flow.
Set COACH_DOC_SCREENSHOTS=1 to refresh the README's screenshots in docs/screenshots.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.forms import today
from coach.meetings.services import theme_list
from coach.meetings.tables import Attendance, Meeting
from coach.participants import services as participants
from coach.participants.tables import StatusChange
from tests.browser.checks import assert_phone_friendly, doc_screenshot, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

# The main screens shown in the README; every screen is kept under test-results.
DOC_SHOTS = {"home-fi", "log-meeting-fi", "log-meeting-en", "group-fi", "participant-fi",
             "participant-news-saved-sv", "edit-meeting-en", "add-participant-en"}


async def shoot(page, name: str) -> None:
    """Keep a full-page screenshot in test-results; on request, a phone-screen one in docs."""
    await screenshot(page, name)
    if name in DOC_SHOTS:
        await doc_screenshot(page, name)


async def check(page, name: str) -> None:
    await assert_phone_friendly(page, name)
    await shoot(page, name)


async def add_scores(person) -> None:
    """Give a participant two results of each check, so their page draws the charts."""
    first = today() - dt.timedelta(days=90)
    for day, who5, was, life in ((first, 44.0, 5.0, 55.0), (today(), 68.0, 7.0, 75.0)):
        for instrument, score, band in (("who5", who5, "low"), ("was", was, "moderate"),
                                        ("lifestyle", life, "fair")):
            await Assessment(participant=person.id, instrument=instrument,
                             instrument_version="1", taken_on=day, completed_at=now(),
                             answers={}, raw_score=score, score=score, band=band,
                             mode="invite").save()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_coach_logs_a_meeting_and_records_a_new_job(page, live_server, language):
    coach = await make_user("kaisa", "coach", display_name="Kaisa")
    group = await make_group("Voimaa arkeen", coaches=[coach], usual_duration_minutes=90)
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben", gender="male")
    await add_scores(anna)
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])

    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    assert await page.get_attribute("html", "lang") == language
    await page.locator(f"#next-steps-{group.id}").wait_for()
    await check(page, f"home-{language}")

    # Log a meeting: today and 90 minutes are already filled in; one tap per person.
    await page.click(f"a[href='/groups/{group.id}/meetings/new']")
    await page.wait_for_url(f"**/groups/{group.id}/meetings/new")
    await page.locator("#meeting-form").wait_for()
    assert await page.input_value("#held_on") == today().isoformat()
    assert await page.input_value("#duration_minutes") == "90"
    await page.click(f"label[for=present-{anna.id}]")
    assert await page.is_checked(f"#present-{anna.id}")
    await page.click("#themes-field label:has(input[value=job_seeking])")
    await check(page, f"log-meeting-{language}")
    await page.click("#meeting-form .actions button[type=submit]")
    await page.wait_for_url(f"**/groups/{group.id}")
    await page.locator("#participants").wait_for()
    await check(page, f"group-{language}")

    # Record news: Anna started a job today; the timeline updates in place.
    await page.click(f"#participants a[href='/participants/{anna.id}']")
    await page.wait_for_url(f"**/participants/{anna.id}")
    await page.locator("#news-form").wait_for()
    assert await page.locator("section[aria-labelledby=scores-title] svg[role=img]").count() == 3
    await check(page, f"participant-{language}")
    # axe-core leaves empty style attributes behind, and htmx's settle step would copy them
    # onto the swapped-in elements, which the CSP reports; a fresh page has none.
    await page.reload()
    await page.select_option("#status", "employed_full_time")
    await page.fill("#effective_on", today().isoformat())
    await page.click("#news-form button[type=submit]")
    await page.locator("#news .flash--success").wait_for()
    assert await page.locator("#news .timeline > li").count() == 2
    await check(page, f"participant-news-saved-{language}")

    # The database holds exactly that.
    meetings = await Meeting.select().where(Meeting.group == group.id)
    assert len(meetings) == 1
    [meeting] = meetings
    assert (meeting["held_on"], meeting["duration_minutes"]) == (today(), 90)
    assert theme_list(meeting["themes"]) == ["job_seeking"]
    rows = await Attendance.select(Attendance.participant, Attendance.present).where(
        Attendance.meeting == meeting["id"]
    )
    assert {(r["participant"], r["present"]) for r in rows} == {(anna.id, True), (ben.id, False)}
    changes = (
        await StatusChange.select(
            StatusChange.status, StatusChange.effective_on, StatusChange.recorded_by
        )
        .where(StatusChange.participant == anna.id)
        .order_by(StatusChange.id)
    )
    assert [(c["status"], c["effective_on"]) for c in changes] == [
        ("unemployed", anna.enrolled_on),
        ("employed_full_time", today()),
    ]
    assert changes[-1]["recorded_by"] == coach.id
    assert await StatusChange.count().where(StatusChange.participant == ben.id) == 1


async def test_the_other_coach_screens_are_accessible(page, live_server):
    """Edit a meeting (toggles save at once), add a participant, mark one as left."""
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa arkeen", coaches=[coach])
    anna = await make_participant(group, display_name="Anna")
    await page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)

    await page.goto(f"/groups/{group.id}/meetings/new")
    await page.click("#meeting-form .actions button[type=submit]")
    # Nobody is ticked, so the form asks once before it saves.
    await page.click("#nobody-present button[name=confirm_nobody_present]")
    await page.wait_for_url(f"**/groups/{group.id}")
    meeting = await Meeting.objects().where(Meeting.group == group.id).first()

    await page.goto(f"/meetings/{meeting.id}/edit")
    await page.click(f"label[for=present-{anna.id}]")
    await page.locator(f"#toggle-{anna.id} [role=status]").wait_for(state="attached")
    present = (
        await Attendance.select(Attendance.present)
        .where(Attendance.meeting == meeting.id)
        .output(as_list=True)
    )
    assert present == [True]
    await check(page, "edit-meeting-en")

    await page.goto(f"/groups/{group.id}/participants/new")
    await page.fill("#birth_year", "1850")
    await page.locator("#birth_year").blur()
    await page.locator("#birth_year-error").wait_for()
    await check(page, "add-participant-en")

    await page.goto(f"/participants/{anna.id}/leave")
    await check(page, "mark-left-en")
    await page.goto(f"/meetings/{meeting.id}/delete")
    await check(page, "delete-meeting-en")

    # Remove a mistaken status entry: without JavaScript through the confirmation page,
    # with htmx after the browser's own "are you sure" and the timeline swapped in place.
    wrong = await participants.record_news(anna, "work_trial", today(), coach.id)
    await page.goto(f"/participants/{anna.id}/news/{wrong.id}/delete")
    await check(page, "remove-news-en")
    await page.goto(f"/participants/{anna.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click(f"#news a[href='/participants/{anna.id}/news/{wrong.id}/delete']")
    await page.locator("#news .flash--success").wait_for()
    assert await page.locator("#news .timeline > li").count() == 1
    assert await StatusChange.count().where(StatusChange.participant == anna.id) == 1
