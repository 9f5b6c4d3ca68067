"""The coach's meeting form and pages on a 360×740 phone (issue 11 points 1, 11, 12, 13).

Ticks survive a mistyped year; the home card counts the people it lists; every meeting of
a group can be found a page at a time; "Self-assessment due" opens the choice of a link or
filling in together. axe-core checks each screen.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.forms import today
from coach.meetings import services as meetings
from coach.meetings.tables import Attendance, Meeting
from tests.browser.checks import assert_phone_friendly, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

NAMES = ["Aino", "Bertta", "Eino", "Helmi", "Jussi", "Lauri", "Oona"]


async def check(page, name: str) -> None:
    await assert_phone_friendly(page, name)
    await screenshot(page, name)


async def htmx_idle(page) -> None:
    """Wait until htmx has sent, swapped and settled: a field swapped in is listened to
    only after it settles, so a change typed before that would go unnoticed."""
    await page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


async def ticked(page) -> set[str]:
    boxes = page.locator("#present-field input[name=present]")
    return {await box.get_attribute("value") for box in await boxes.all()
            if await box.is_checked()}


async def test_ticks_survive_a_mistyped_year_and_five_are_stored(page, live_server):
    coach = await make_user("kaisa", "coach", display_name="Kaisa")
    group = await make_group("Voimaa arkeen", coaches=[coach], usual_duration_minutes=90)
    people = [await make_participant(group, display_name=name) for name in NAMES]
    came = people[:5]
    await page.context.add_cookies([{"name": "lang", "value": "fi", "url": live_server}])
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)

    await page.goto(f"/groups/{group.id}/meetings/new")
    await page.locator("#meeting-form").wait_for()
    for person in came:
        await page.click(f"label[for=present-{person.id}]")
    wanted = {str(person.id) for person in came}
    assert await ticked(page) == wanted

    # A year too early: the date says why at once, and the roster keeps its seven and five.
    wrong = today().replace(year=today().year - 1, day=min(today().day, 28)).isoformat()
    await page.fill("#held_on", wrong)
    error = page.locator("#held_on-field .field__error")
    await error.wait_for()
    assert "Ryhmä alkoi" in await error.inner_text()
    assert await page.locator("#present-field input[name=present]").count() == 7
    assert await ticked(page) == wanted
    assert await page.get_by_text("Ryhmässä ei ole osallistujia").count() == 0
    await check(page, "meeting-wrong-year-fi")

    # Saving anyway re-renders the whole form: the error by the date, the ticks kept.
    await page.click("#meeting-form .actions button[type=submit]")
    await page.locator("#held_on-field.field--invalid").wait_for()
    await page.locator(".error-summary").wait_for()
    assert await page.input_value("#held_on") == wrong
    assert await ticked(page) == wanted
    assert await Meeting.count() == 0

    # Corrected: the error goes, the roster of today is there with the five ticks.
    await htmx_idle(page)
    await page.fill("#held_on", today().isoformat())
    await page.locator("#held_on-field .field__error").wait_for(state="detached")
    await htmx_idle(page)
    assert await page.locator("#present-field input[name=present]").count() == 7
    assert await ticked(page) == wanted
    await page.click("#meeting-form .actions button[type=submit]")
    await page.wait_for_url(f"**/groups/{group.id}")

    [meeting] = await Meeting.select().where(Meeting.group == group.id)
    assert meeting["held_on"] == today()
    rows = await Attendance.select(Attendance.participant, Attendance.present).where(
        Attendance.meeting == meeting["id"])
    assert len(rows) == 7
    assert {row["participant"] for row in rows if row["present"]} == {p.id for p in came}


async def test_nobody_present_still_asks_once_after_a_mistyped_year(page, live_server):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa arkeen", coaches=[coach])
    await make_participant(group, display_name="Aino")
    await page.context.add_cookies([{"name": "lang", "value": "fi", "url": live_server}])
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}/meetings/new")
    wrong = today().replace(year=today().year - 1, day=min(today().day, 28)).isoformat()
    await page.fill("#held_on", wrong)
    await page.locator("#held_on-field .field__error").wait_for()
    await htmx_idle(page)
    await page.fill("#held_on", today().isoformat())
    await page.locator("#held_on-field .field__error").wait_for(state="detached")
    await htmx_idle(page)
    await page.click("#meeting-form .actions button[type=submit]")
    await page.locator("#nobody-present").wait_for()
    assert await Meeting.count() == 0
    await page.click("#nobody-present button[name=confirm_nobody_present]")
    await page.wait_for_url(f"**/groups/{group.id}")
    assert await Meeting.count() == 1


async def log_meetings(group, count: int, coach_id: int) -> list[int]:
    ids = []
    for index in range(count):
        cleaned = {"held_on": group.starts_on + dt.timedelta(days=2 * index),
                   "duration_minutes": 90, "themes": [], "private_note": "", "present": set()}
        ids.append((await meetings.create_meeting(group.id, cleaned, coach_id)).id)
    return ids


COUNT_TEXT = {"fi": "Seurannassa: 7", "sv": "I uppföljning: 7", "en": "7 in follow-up"}
ALL_MEETINGS = {"fi": "Kaikki tapaamiset (23)", "sv": "Alla möten (23)",
                "en": "All meetings (23)"}
OLDER = {"fi": "Vanhemmat tapaamiset", "sv": "Äldre möten", "en": "Older meetings"}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_home_counts_all_meetings_and_next_steps_lead_to_the_action(page, live_server,
                                                                          language):
    coach = await make_user("kaisa", "coach")
    running = await make_group("Voimaa arkeen", coaches=[coach])
    due = await make_participant(running, display_name="Aino")  # no baseline yet: due
    ids = await log_meetings(running, 23, coach.id)
    ended_on = today() - dt.timedelta(days=20)
    finished = await make_group("Syksy", coaches=[coach],
                                starts_on=ended_on - dt.timedelta(weeks=52), weeks=52)
    for name in NAMES:
        await make_participant(finished, display_name=name, exited_on=finished.ends_on)
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)

    # Point 11: the finished group counts the seven it may list.
    count = page.locator(f"#group-{finished.id}-count")
    await count.wait_for()
    assert COUNT_TEXT[language] in await count.inner_text()
    await check(page, f"home-counts-{language}")

    # Point 13: "Self-assessment due" opens the choice, in view and focused.
    await page.click(f"#next-steps-{running.id} a[data-person='{due.id}']")
    await page.wait_for_url(f"**/participants/{due.id}#self-assessment")
    choice = page.locator("#self-assessment")
    await page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'self-assessment'")
    for button in (f"form[action='/participants/{due.id}/invite'] button",
                   f"form[action='/participants/{due.id}/together'] button"):
        box = await page.locator(f"#self-assessment {button}").bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 740, button
    assert await choice.is_visible()
    await check(page, f"participant-choice-{language}")

    # Point 12: the group page's five newest, then every meeting a page at a time.
    await page.goto(f"/groups/{running.id}")
    link = page.locator(f"a[href='/groups/{running.id}/meetings']")
    assert ALL_MEETINGS[language] in await link.inner_text()
    await link.click()
    await page.wait_for_url(f"**/groups/{running.id}/meetings")
    assert await page.locator("#meeting-list li").count() == 20
    await check(page, f"all-meetings-{language}")
    await page.click(f"a[rel=next]:has-text('{OLDER[language]}')")
    await page.wait_for_url(f"**/groups/{running.id}/meetings?page=2")
    assert await page.locator("#meeting-list li").count() == 3
    # The oldest meeting opens for editing; a tick there is saved at once.
    await page.click(f"#meeting-list a[href='/meetings/{ids[0]}/edit']")
    await page.wait_for_url(f"**/meetings/{ids[0]}/edit")
    await page.click(f"label[for=present-{due.id}]")
    await page.locator(f"#toggle-{due.id} [role=status]").wait_for()
    [row] = await Attendance.select(Attendance.present).where(
        (Attendance.meeting == ids[0]) & (Attendance.participant == due.id))
    assert row["present"] is True
