"""Forms that create rows save an entry once: a double tap, a lost answer sent again, or a
phone's queue sending at the same moment as a second tab never make two rows (issue 8)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading

from litestar.testing import TestClient

from coach.forms import today
from coach.meetings import routes as meeting_routes
from coach.meetings.tables import Attendance, Meeting
from coach.submissions.service import new_key
from coach.submissions.tables import FormSubmission
from tests.coach_world import audit_actions, make_world, sign_in


def meeting_form(w, key: str | None, **changes) -> dict:
    data = {"held_on": today().isoformat(), "duration_minutes": "75", "themes": ["sleep"],
            "present": [str(w.anna.id)], "private_note": "Good talk"}
    if key is not None:
        data["submission_key"] = key
    data.update(changes)
    return data


def form_key(html: str) -> str:
    [value] = re.findall(r'name="submission_key" value="([0-9a-f-]{36})"', html)
    return value


async def test_the_meeting_form_carries_a_fresh_key_and_keeps_it_after_an_error(client):
    w = await make_world()
    await sign_in(client, w.coach)
    first = form_key((await client.get(f"/groups/{w.group.id}/meetings/new")).text)
    second = form_key((await client.get(f"/groups/{w.group.id}/meetings/new")).text)
    assert first != second
    refused = await client.post(f"/groups/{w.group.id}/meetings/new",
                                data=meeting_form(w, first, duration_minutes="0"))
    assert refused.status_code == 422
    assert form_key(refused.text) == first
    assert await Meeting.count() == 0


async def test_the_same_meeting_sent_twice_is_saved_once_and_both_answers_are_success(client):
    w = await make_world()
    await sign_in(client, w.coach)
    key = new_key()
    url = f"/groups/{w.group.id}/meetings/new"
    answers = [await client.post(url, data=meeting_form(w, key), follow_redirects=False)
               for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"] == (
        f"/groups/{w.group.id}")
    assert await Meeting.count() == 1
    assert await Attendance.count().where(Attendance.present.eq(True)) == 1
    assert len(await audit_actions("meeting.create")) == 1


async def test_the_same_key_with_other_content_is_refused_with_409(client):
    w = await make_world()
    await sign_in(client, w.coach)
    key = new_key()
    url = f"/groups/{w.group.id}/meetings/new"
    await client.post(url, data=meeting_form(w, key))
    changed = await client.post(url, data=meeting_form(w, key, duration_minutes="30"))
    assert changed.status_code == 409
    assert "already saved with different content" in changed.text
    assert await Meeting.count() == 1


async def test_a_malformed_key_is_refused_and_saves_nothing(client):
    w = await make_world()
    await sign_in(client, w.coach)
    answer = await client.post(f"/groups/{w.group.id}/meetings/new",
                               data=meeting_form(w, "not-a-key"))
    assert answer.status_code == 400
    assert "damaged" in answer.text
    assert await Meeting.count() == 0


async def test_two_coaches_may_use_the_same_key(client):
    """Keys are per user: another coach's entry with the same key is their own."""
    w = await make_world()
    key = new_key()
    await sign_in(client, w.coach)
    await client.post(f"/groups/{w.group.id}/meetings/new", data=meeting_form(w, key))
    await sign_in(client, w.other_coach)
    answer = await client.post(f"/groups/{w.other_group.id}/meetings/new",
                               data=meeting_form(w, key, present=[str(w.stranger.id)]),
                               follow_redirects=False)
    assert answer.status_code == 303
    assert await Meeting.count() == 2
    assert await FormSubmission.count() == 2


async def test_four_sends_of_one_meeting_at_the_same_moment_save_one(app, monkeypatch):
    """Each send on its own thread and event loop, held until all four have passed the
    checks and the look-up of earlier saves, so that all four go on to write."""
    w = await make_world()
    barrier = threading.Barrier(4)
    save_once = meeting_routes.save_once

    async def racing(*args, **kwargs):
        await asyncio.to_thread(barrier.wait, 10)
        return await save_once(*args, **kwargs)

    monkeypatch.setattr(meeting_routes, "save_once", racing)
    key = new_key()
    url = f"/groups/{w.group.id}/meetings/new"
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(TestClient(app=app)) for _ in range(4)]
        for one in clients:
            await sign_in(one, w.coach)
        answers = await asyncio.gather(*(
            asyncio.to_thread(one.post, url, data=meeting_form(w, key), follow_redirects=False)
            for one in clients))
    assert [a.status_code for a in answers] == [303] * 4
    assert {a.headers["location"] for a in answers} == {f"/groups/{w.group.id}"}
    assert await Meeting.count() == 1
    assert await Attendance.count().where(Attendance.present.eq(True)) == 1
    assert len(await audit_actions("meeting.create")) == 1


# --- news and a new participant ---------------------------------------------------------------

def news_form(key: str, **changes) -> dict:
    data = {"status": "employed_full_time", "effective_on": today().isoformat(),
            "submission_key": key}
    data.update(changes)
    return data


async def test_the_same_news_sent_twice_is_saved_once(client):
    from coach.participants.tables import StatusChange

    w = await make_world()
    await sign_in(client, w.coach)
    page = await client.get(f"/participants/{w.anna.id}")
    key = form_key(page.text)
    before = await StatusChange.count()
    url = f"/participants/{w.anna.id}/news"
    answers = [await client.post(url, data=news_form(key), follow_redirects=False)
               for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert await StatusChange.count() == before + 1
    assert len(await audit_actions("participant.news")) == 1
    changed = await client.post(url, data=news_form(key, status="student"))
    assert changed.status_code == 409
    assert await StatusChange.count() == before + 1


async def test_the_same_new_participant_sent_twice_is_added_once(client):
    from coach.participants.tables import Participant

    w = await make_world()
    await sign_in(client, w.coach)
    page = await client.get(f"/groups/{w.group.id}/participants/new")
    key = form_key(page.text)
    form = {"display_name": "Sanna", "birth_year": "1980", "gender": "female",
            "education": "basic", "status_at_entry": "unemployed",
            "unemployed_for": "over_24", "enrolled_on": w.group.starts_on.isoformat(),
            "consent_given_on": w.group.starts_on.isoformat(), "consent_version": "1.0",
            "submission_key": key}
    before = await Participant.count()
    answers = [await client.post(f"/groups/{w.group.id}/participants/new", data=form,
                                 follow_redirects=False) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303], answers[0].text[:2000]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert await Participant.count() == before + 1


async def test_one_entry_sent_five_times_at_once_to_two_server_processes_saves_one():
    """A real `coach serve --workers 2` on the run's database (PostgreSQL from
    DATABASE_URL in CI, else the run's SQLite file): five sends of one queued entry, each
    on its own connection, so both processes get some of them."""
    import os

    import httpx

    from coach.auth.protection import CSRF_COOKIE
    from tests.factories import DEFAULT_PASSWORD
    from tests.test_signin_limits import _start_server

    w = await make_world()
    server, base = await _start_server(dict(os.environ, COACH_DB_POOL_SIZE="5"))
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            await http.get("/login")
            token = http.cookies.get(CSRF_COOKIE)
            signed = await http.post("/login", data={
                "username": w.coach.username, "password": DEFAULT_PASSWORD,
                "_csrf_token": token})
            assert signed.status_code == 303, signed.text
            cookies = dict(http.cookies)
        form = {**meeting_form(w, new_key()), "_csrf_token": token}
        url = f"/groups/{w.group.id}/meetings/new"

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(base_url=base, timeout=60, cookies=cookies) as one:
                return await one.post(url, data=form)

        answers = await asyncio.gather(*(send() for _ in range(5)))
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
    assert [a.status_code for a in answers] == [303] * 5, [a.text[:500] for a in answers]
    assert {a.headers["location"] for a in answers} == {f"/groups/{w.group.id}"}
    assert await Meeting.count() == 1
    assert await Attendance.count().where(Attendance.present.eq(True)) == 1
