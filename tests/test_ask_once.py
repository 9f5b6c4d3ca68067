"""Two actions that ask once before they act: a meeting nobody came to, and cancelling
all of a participant's links (which also signs them out)."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from coach.auth.invites import count_open_invites, create_invite
from coach.auth.tables import WebSession
from coach.forms import today
from coach.meetings.tables import Attendance, Meeting
from tests.auth_helpers import login_participant, open_link
from tests.coach_world import HTMX, audit_actions, make_world, sign_in

NOBODY = "Nobody was present?"


def posted(w, **changes) -> dict:
    data = {"held_on": today().isoformat(), "duration_minutes": "75", "themes": ["sleep"],
            "present": [], "private_note": "Quiet day"}
    data.update(changes)
    return data


def form_version(html: str) -> str:
    [value] = re.findall(r'<input type="hidden" id="meeting-version" name="version" '
                         r'value="(\d+)"', html)
    return value


async def present_count(meeting_id: int) -> int:
    return await Attendance.count().where(
        (Attendance.meeting == meeting_id) & Attendance.present.eq(True))


# --- a meeting with nobody present ----------------------------------------------------------

async def test_a_new_meeting_with_nobody_present_asks_once_and_keeps_the_entries(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings/new"
    response = await client.post(url, data=posted(w, duration_minutes="55"),
                                 follow_redirects=False)
    assert response.status_code == 200
    assert NOBODY in response.text
    assert 'name="confirm_nobody_present" value="1"' in response.text
    assert 'name="duration_minutes" value="55"' in response.text  # what was typed is kept
    assert "Quiet day" in response.text
    assert await Meeting.count() == 0
    response = await client.post(url, data=posted(w, duration_minutes="55",
                                                  confirm_nobody_present="1"),
                                 follow_redirects=False)
    assert response.status_code == 303
    meeting = await Meeting.objects().first()
    assert meeting.duration_minutes == 55
    assert await present_count(meeting.id) == 0
    assert len(await audit_actions("meeting.create")) == 1


async def test_htmx_gets_the_question_in_the_form_block(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new", data=posted(w),
                                 headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="meeting-form"')
    assert NOBODY in response.text
    assert await Meeting.count() == 0


async def test_a_second_meeting_with_nobody_present_asks_both_then_saves(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings/new"
    first = await client.post(url, data=posted(w, present=[str(w.anna.id)]),
                              follow_redirects=False)
    assert first.status_code == 303
    response = await client.post(url, data=posted(w, confirm_same_day="1"),
                                 follow_redirects=False)
    assert response.status_code == 200 and NOBODY in response.text
    # The answer already given is carried along, so it is not asked again.
    assert 'name="confirm_same_day" value="1"' in response.text
    assert 'id="same-day"' not in response.text
    assert await Meeting.count() == 1
    response = await client.post(url, data=posted(w, confirm_same_day="1",
                                                  confirm_nobody_present="1"),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert await Meeting.count() == 2


async def test_editing_a_meeting_to_nobody_present_asks_once_and_keeps_the_version(client):
    w = await make_world()
    await sign_in(client, w.coach)
    await client.post(f"/groups/{w.group.id}/meetings/new",
                      data=posted(w, present=[str(w.anna.id)]), follow_redirects=False)
    meeting = await Meeting.objects().first()
    url = f"/meetings/{meeting.id}/edit"
    version = form_version((await client.get(url)).text)
    response = await client.post(url, data=posted(w, version=version), follow_redirects=False)
    assert response.status_code == 200 and NOBODY in response.text
    assert form_version(response.text) == version
    assert await present_count(meeting.id) == 1  # nothing changed yet
    response = await client.post(url, data=posted(w, version=version,
                                                  confirm_nobody_present="1"),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert await present_count(meeting.id) == 0
    assert (await Meeting.objects().first()).version == meeting.version + 1


async def test_the_question_is_in_the_users_language(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new", data=posted(w),
                                 headers={"accept-language": "fi"})
    assert response.status_code == 200
    assert "Eikö kukaan ollut paikalla?" in response.text


# --- cancelling all links -------------------------------------------------------------------

async def test_cancelling_all_links_asks_first_then_acts_on_the_confirmation(client, app):
    w = await make_world()
    token = await create_invite(w.anna.id, created_by=None)
    async with AsyncTestClient(app=app) as phone:
        await login_participant(phone, w.anna)
        await sign_in(client, w.coach)
        url = f"/participants/{w.anna.id}/invite/revoke"
        response = await client.post(url, follow_redirects=False)
        assert response.status_code == 200
        assert "The participant is signed out on every device." in response.text
        assert f'action="{url}"' in response.text
        assert 'name="confirm" value="1"' in response.text
        assert f'href="/participants/{w.anna.id}"' in response.text  # a way back
        assert await count_open_invites(w.anna.id) == 1
        assert await WebSession.count().where(WebSession.participant == w.anna.id) == 1
        assert await audit_actions("invite.revoke") == []
        response = await client.post(url, data={"confirm": "1"}, follow_redirects=False)
        assert response.status_code == 303
        assert await open_link(token) is None
        assert await WebSession.count().where(WebSession.participant == w.anna.id) == 0
        assert len(await audit_actions("invite.revoke")) == 1
