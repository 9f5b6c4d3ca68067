"""Attendance ticks survive every error on "Log a meeting" and on editing a meeting.

A mistyped year used to replace the roster with "no participants on this date"; after the
date was corrected the roster stayed empty and the meeting was saved with nobody present.
"""

from __future__ import annotations

import datetime as dt
import re

from coach.forms import today
from coach.meetings.tables import Attendance, Meeting
from tests.coach_world import BOOSTED, HTMX, is_fragment, sign_in
from tests.factories import make_group, make_participant, make_user

NAMES = ["Aino", "Bertta", "Eino", "Helmi", "Jussi", "Lauri", "Oona"]
NOBODY = "Nobody was present?"


async def seven_people():
    coach = await make_user("coach", display_name="Coach")
    group = await make_group("Ryhmä A", coaches=[coach], usual_duration_minutes=90)
    people = [await make_participant(group, display_name=name) for name in NAMES]
    return coach, group, people


def wrong_year(day: dt.date) -> str:
    """Return the date a year earlier: the typo of a coach on a small keyboard."""
    return day.replace(year=day.year - 1, day=min(day.day, 28)).isoformat()


def form(held_on: str, present: list, **changes) -> dict:
    data = {"held_on": held_on, "duration_minutes": "90", "themes": ["sleep"],
            "present": [str(person.id) for person in present], "private_note": ""}
    data.update(changes)
    return data


def roster_of(html: str) -> dict[int, bool]:
    """Return {participant id: ticked} of the roster's checkboxes."""
    found = re.findall(r'id="present-(\d+)" name="present" value="\d+"( checked)?', html)
    return {int(pid): bool(checked) for pid, checked in found}


def date_field(html: str) -> str:
    [field] = re.findall(r'<div class="field[^"]*" id="held_on-field">.*?</div>', html, re.S)
    return field


async def stored_present(meeting_id: int) -> set[int]:
    rows = await (Attendance.select(Attendance.participant)
                  .where((Attendance.meeting == meeting_id) & Attendance.present.eq(True))
                  .output(as_list=True))
    return set(rows)


async def test_a_wrong_year_keeps_the_roster_and_ticks_and_the_corrected_date_saves_them(client):
    coach, group, people = await seven_people()
    await sign_in(client, coach)
    url = f"/groups/{group.id}/meetings/new"
    came = people[:5]
    response = await client.post(url, data=form(wrong_year(today()), came),
                                 follow_redirects=False)
    assert response.status_code == 422
    field = date_field(response.text)
    assert "field--invalid" in field and "The group started on" in field
    assert 'aria-invalid="true"' in field
    roster = roster_of(response.text)
    assert roster == {person.id: person in came for person in people}
    assert "The group has no participants on this date." not in response.text
    assert await Meeting.count() == 0
    response = await client.post(url, data=form(today().isoformat(), came),
                                 follow_redirects=False)
    assert response.status_code == 303
    meeting = await Meeting.objects().first()
    assert await stored_present(meeting.id) == {person.id for person in came}
    assert await Attendance.count().where(Attendance.meeting == meeting.id) == 7


async def test_htmx_date_check_swaps_in_the_roster_of_the_corrected_date_with_the_ticks(client):
    coach, group, people = await seven_people()
    later = await make_participant(group, display_name="Matti",
                                   enrolled_on=today() - dt.timedelta(days=3))
    await sign_in(client, coach)
    url = f"/groups/{group.id}/meetings/new"
    came = people[:5]
    response = await client.post(url, data=form(wrong_year(today()), came,
                                                 validate_only="1"), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "The group started on" in date_field(response.text)
    # The form asks the page to swap the roster too, and the roster has the ticks.
    assert 'hx-select-oob="#present-field"' in response.text
    assert roster_of(response.text) == {
        **{person.id: person in came for person in people}, later.id: False}
    # A week ago Matti had not joined: the roster of that day leaves him out.
    week_ago = (today() - dt.timedelta(days=7)).isoformat()
    response = await client.post(url, data=form(week_ago, came, validate_only="1"),
                                 headers=HTMX)
    assert roster_of(response.text) == {person.id: person in came for person in people}
    assert 'id="held_on-error"' not in response.text
    assert await Meeting.count() == 0


async def test_a_boosted_save_with_an_error_shows_the_ticks_in_the_whole_page(client):
    coach, group, people = await seven_people()
    await sign_in(client, coach)
    future = today().replace(year=today().year + 1, day=min(today().day, 28)).isoformat()
    response = await client.post(f"/groups/{group.id}/meetings/new",
                                 data=form(future, people[:5]), headers=BOOSTED)
    assert response.status_code == 200  # htmx 2 swaps only 2xx
    assert "The date cannot be in the future." in date_field(response.text)
    assert sum(roster_of(response.text).values()) == 5
    assert len(roster_of(response.text)) == 7


async def test_a_tick_for_someone_not_yet_in_the_group_stays_with_a_message(client):
    coach, group, people = await seven_people()
    later = await make_participant(group, display_name="Matti",
                                   enrolled_on=today() - dt.timedelta(days=3))
    await sign_in(client, coach)
    week_ago = (today() - dt.timedelta(days=7)).isoformat()
    response = await client.post(f"/groups/{group.id}/meetings/new",
                                 data=form(week_ago, [people[0], later]),
                                 follow_redirects=False)
    assert response.status_code == 422
    assert "Not in the group on this date: Matti." in response.text
    # He is shown ticked, so the coach can untick him; nothing was saved.
    assert roster_of(response.text)[later.id] is True
    assert roster_of(response.text)[people[0].id] is True
    assert await Meeting.count() == 0


async def test_nobody_present_is_still_asked_once_after_a_date_error(client):
    coach, group, _people = await seven_people()
    await sign_in(client, coach)
    url = f"/groups/{group.id}/meetings/new"
    response = await client.post(url, data=form(wrong_year(today()), []),
                                 follow_redirects=False)
    assert response.status_code == 422 and NOBODY not in response.text
    response = await client.post(url, data=form(today().isoformat(), []),
                                 follow_redirects=False)
    assert response.status_code == 200 and NOBODY in response.text
    assert len(roster_of(response.text)) == 7
    assert await Meeting.count() == 0
    response = await client.post(url, data=form(today().isoformat(), [],
                                                 confirm_nobody_present="1"),
                                 follow_redirects=False)
    assert response.status_code == 303
    meeting = await Meeting.objects().first()
    assert await stored_present(meeting.id) == set()


async def test_editing_with_a_wrong_year_keeps_the_ticks_and_the_correction_saves(client):
    coach, group, people = await seven_people()
    await sign_in(client, coach)
    week_ago = today() - dt.timedelta(days=7)
    await client.post(f"/groups/{group.id}/meetings/new",
                      data=form(week_ago.isoformat(), people[:2]), follow_redirects=False)
    meeting = await Meeting.objects().first()
    url = f"/meetings/{meeting.id}/edit"
    page = await client.get(url)
    [version] = re.findall(r'name="version" value="(\d+)"', page.text)
    came = people[:5]
    response = await client.post(url, data=form(wrong_year(week_ago), came, version=version),
                                 follow_redirects=False)
    assert response.status_code == 422
    assert "The group started on" in date_field(response.text)
    assert roster_of(response.text) == {person.id: person in came for person in people}
    assert await stored_present(meeting.id) == {people[0].id, people[1].id}
    response = await client.post(url, data=form(week_ago.isoformat(), came, version=version),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert await stored_present(meeting.id) == {person.id for person in came}
