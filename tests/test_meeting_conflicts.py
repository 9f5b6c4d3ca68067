"""Two people editing one meeting: an outdated form is refused and shows what changed."""

from __future__ import annotations

import asyncio
import re
import threading

from litestar.testing import AsyncTestClient, TestClient

from coach.forms import today
from coach.groups.tables import GroupCoach
from coach.meetings import services
from coach.meetings.tables import Attendance, Meeting
from tests.coach_world import HTMX, audit_actions, make_world, sign_in
from tests.factories import make_user

CONFLICT = "Someone else saved this meeting while you were editing it."


def posted(w, version: int | str | None, **changes) -> dict:
    data = {"held_on": today().isoformat(), "duration_minutes": "75", "themes": ["sleep"],
            "present": [str(w.anna.id)], "private_note": "Good talk"}
    if version is not None:
        data["version"] = str(version)
    data.update(changes)
    return data


async def present_ids(meeting_id: int) -> set[int]:
    rows = await Attendance.select(Attendance.participant).where(
        (Attendance.meeting == meeting_id) & Attendance.present.eq(True)).output(as_list=True)
    return set(rows)


def form_version(html: str) -> str:
    [value] = re.findall(r'<input type="hidden" id="meeting-version" name="version" '
                         r'value="(\d+)"', html)
    return value


def conflict_box(html: str) -> str:
    """Return the part of the page that explains the conflict."""
    start = html.index('<section class="card conflict" role="alert" id="conflict">')
    return html[start:html.index("</section>", start)]


async def saved(meeting_id: int) -> Meeting:
    return await Meeting.objects().get(Meeting.id == meeting_id)


async def second_coach(w):
    maija = await make_user("maija", display_name="Maija")
    await GroupCoach(group=w.group.id, coach=maija.id).save()
    return maija


def meet_before_saving(monkeypatch) -> None:
    """Hold each save until two requests have both got there: a real race, every run."""
    # A thread barrier: each test client serves its requests on its own event loop.
    barrier = threading.Barrier(2)
    update = services.update_meeting

    async def racing(*args, **kwargs):
        await asyncio.to_thread(barrier.wait, 10)
        return await update(*args, **kwargs)

    monkeypatch.setattr(services, "update_meeting", racing)


async def at_the_same_moment(app, first: tuple, second: tuple) -> list:
    """Post (user, url, data) twice at once, each from its own signed-in client.

    The test client's post blocks its caller until the app answers, so each one is sent
    from a thread: the app then handles both at the same time on two event loops.
    """
    with TestClient(app=app) as one, TestClient(app=app) as two:
        calls = []
        for client, (user, url, data) in ((one, first), (two, second)):
            await sign_in(client, user)
            calls.append(asyncio.to_thread(client.post, url, data=data, follow_redirects=False))
        return list(await asyncio.gather(*calls))


async def log_one(client, w) -> Meeting:
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=posted(w, None), follow_redirects=False)
    assert response.status_code == 303
    return await Meeting.objects().first()


# --- the service ----------------------------------------------------------------------------

async def test_a_new_meeting_starts_at_version_one_and_each_save_counts_up(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    assert meeting.version == 1
    page = await client.get(f"/meetings/{meeting.id}/edit")
    assert form_version(page.text) == "1"
    cleaned, errors = services.validate_meeting(posted(w, 1), ["sleep"], [str(w.ben.id)],
                                                w.group, today())
    assert errors == {}
    assert await services.update_meeting(meeting, cleaned, 1, w.coach.id) is True
    after = await saved(meeting.id)
    assert after.version == 2 and after.updated_by == w.coach.id


async def test_an_outdated_version_writes_neither_the_meeting_nor_its_attendance(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    cleaned, _e = services.validate_meeting(posted(w, 1, duration_minutes="30"), [],
                                            [str(w.ben.id)], w.group, today())
    assert await services.update_meeting(meeting, cleaned, 1, w.coach.id) is True
    cleaned, _e = services.validate_meeting(posted(w, 1, duration_minutes="45"), [], [],
                                            w.group, today())
    assert await services.update_meeting(meeting, cleaned, 1, w.coach.id) is False
    after = await saved(meeting.id)
    assert (after.duration_minutes, after.version) == (30, 2)
    assert await present_ids(meeting.id) == {w.ben.id}


# --- the edit form ----------------------------------------------------------------------------

async def test_the_second_save_of_an_outdated_form_is_refused_and_shows_what_changed(
        client, app):
    w = await make_world()
    maija = await second_coach(w)
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    mine = await client.get(f"/meetings/{meeting.id}/edit")
    assert form_version(mine.text) == "1"

    # Maija saves first: another length, another theme, Ben instead of Anna, a new note.
    async with AsyncTestClient(app=app) as other:
        await sign_in(other, maija)
        response = await other.post(
            f"/meetings/{meeting.id}/edit", follow_redirects=False,
            data=posted(w, 1, duration_minutes="60", themes=["finances"],
                        present=[str(w.ben.id)], private_note="Maija's note"))
        assert response.status_code == 303

    # The coach's form was rendered from version 1: refused, nothing of it written.
    response = await client.post(
        f"/meetings/{meeting.id}/edit", follow_redirects=False,
        data=posted(w, 1, duration_minutes="90", private_note="My own words"))
    assert response.status_code == 409
    page = response.text
    conflict = conflict_box(page)
    assert CONFLICT in conflict and "Maija" in conflict  # who saved
    for shown in ("Length in minutes", "60", "Themes", "Finances", "Who came?", "Ben",
                  "Private note", "Maija&#39;s note"):
        assert shown in conflict
    assert "<dt>Date</dt>" not in conflict  # the same on both sides
    # What the coach typed is still in the form, with a fresh version to save it on purpose.
    assert 'value="90"' in page and "My own words" in page
    assert f'id="present-{w.anna.id}" name="present" value="{w.anna.id}" checked' in page
    assert form_version(page) == "2"
    after = await saved(meeting.id)
    assert (after.duration_minutes, after.private_note, after.version) == (60, "Maija's note", 2)
    assert services.theme_list(after.themes) == ["finances"]
    assert await present_ids(meeting.id) == {w.ben.id}
    assert len(await audit_actions("meeting.update")) == 1

    # Saving again from the refreshed form overwrites on purpose.
    response = await client.post(
        f"/meetings/{meeting.id}/edit", follow_redirects=False,
        data=posted(w, 2, duration_minutes="90", private_note="My own words"))
    assert response.status_code == 303
    after = await saved(meeting.id)
    assert (after.duration_minutes, after.private_note, after.version) == (90, "My own words", 3)
    assert await present_ids(meeting.id) == {w.anna.id}


async def test_two_saves_of_the_same_version_at_the_same_moment_leave_exactly_one(
        client, app, monkeypatch):
    w = await make_world()
    maija = await second_coach(w)
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    meet_before_saving(monkeypatch)
    url = f"/meetings/{meeting.id}/edit"
    mine = posted(w, 1, duration_minutes="30", present=[str(w.anna.id)], private_note="mine")
    theirs = posted(w, 1, duration_minutes="45", present=[str(w.ben.id)], private_note="theirs")
    responses = await at_the_same_moment(app, (w.coach, url, mine), (maija, url, theirs))
    codes = sorted(response.status_code for response in responses)
    assert codes == [303, 409]
    [loser] = [response for response in responses if response.status_code == 409]
    assert CONFLICT in conflict_box(loser.text)
    winner = mine if responses[0].status_code == 303 else theirs
    after = await saved(meeting.id)
    assert after.version == 2
    assert (str(after.duration_minutes), after.private_note) == (
        winner["duration_minutes"], winner["private_note"])
    assert await present_ids(meeting.id) == {int(pid) for pid in winner["present"]}
    assert await Attendance.count().where(Attendance.meeting == meeting.id) == 2


async def test_a_form_with_a_broken_version_is_refused_and_saves_nothing(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    for version in ("", "abc", "0", "-1", "+2", "99999999999999999999", "4294967297", "1.5"):
        response = await client.post(f"/meetings/{meeting.id}/edit", follow_redirects=False,
                                     data=posted(w, version, duration_minutes="20"))
        assert response.status_code == 409
        assert form_version(response.text) == "1"
    assert (await saved(meeting.id)).duration_minutes == 75


async def test_a_post_without_the_version_field_is_refused_and_saves_nothing(client):
    # Forms the app renders always carry it; a post that cannot say what it saw overwrites
    # nothing and gets the saved values with a version to save deliberately.
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    url = f"/meetings/{meeting.id}/edit"
    response = await client.post(url, data=posted(w, None, duration_minutes="30"),
                                 follow_redirects=False)
    assert response.status_code == 409
    assert form_version(response.text) == "1"
    assert (await saved(meeting.id)).duration_minutes != 30
    again = await client.post(url, data=posted(w, "1", duration_minutes="30"),
                              follow_redirects=False)
    assert again.status_code == 303 and (await saved(meeting.id)).duration_minutes == 30


async def test_htmx_gets_the_conflict_as_a_page_it_will_show(client):
    # htmx does not swap a 409, so a boosted form gets the refused form as a 200.
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    await client.post(f"/meetings/{meeting.id}/edit", data=posted(w, 1, duration_minutes="50"),
                      follow_redirects=False)
    response = await client.post(f"/meetings/{meeting.id}/edit",
                                 data=posted(w, 1, duration_minutes="20"),
                                 headers={**HTMX, "HX-Boosted": "true"})
    assert response.status_code == 200 and CONFLICT in conflict_box(response.text)
    assert (await saved(meeting.id)).duration_minutes == 50


async def test_a_form_with_errors_keeps_the_version_it_was_rendered_from(client):
    # Otherwise fixing a typo would quietly adopt someone else's newer save.
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    await client.post(f"/meetings/{meeting.id}/edit", data=posted(w, 1, duration_minutes="50"),
                      follow_redirects=False)
    response = await client.post(f"/meetings/{meeting.id}/edit",
                                 data=posted(w, 1, duration_minutes="0"))
    assert response.status_code == 422 and form_version(response.text) == "1"


async def test_the_conflict_message_is_in_the_users_language(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    await client.post(f"/meetings/{meeting.id}/edit", data=posted(w, 1, duration_minutes="50"),
                      follow_redirects=False)
    response = await client.post(f"/meetings/{meeting.id}/edit",
                                 data=posted(w, 1, duration_minutes="20"),
                                 headers={"accept-language": "fi"})
    assert response.status_code == 409
    assert "Joku muu tallensi tämän tapaamisen, kun muokkasit sitä." in response.text


# --- the one-person toggles -------------------------------------------------------------------

async def test_a_toggle_moves_the_pages_version_on_when_nothing_else_changed(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    url = f"/meetings/{meeting.id}/attendance"
    response = await client.post(url, headers=HTMX, data={
        "participant": str(w.ben.id), "present": [str(w.anna.id), str(w.ben.id)],
        "version": "1"})
    assert response.status_code == 200
    assert (await saved(meeting.id)).version == 2
    # The page's own tick does not make its own later save a conflict.
    assert 'id="meeting-version" name="version" value="2" hx-swap-oob="true"' in response.text
    response = await client.post(f"/meetings/{meeting.id}/edit", follow_redirects=False,
                                 data=posted(w, 2, present=[str(w.anna.id), str(w.ben.id)]))
    assert response.status_code == 303


async def test_a_toggle_is_saved_but_a_stale_full_form_cannot_undo_it(client, app):
    # A tick is one person's attendance, so it is saved whatever else changed; but it moves
    # the meeting's version, so a form rendered before it cannot silently overwrite it.
    w = await make_world()
    maija = await second_coach(w)
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    async with AsyncTestClient(app=app) as other:
        await sign_in(other, maija)
        response = await other.post(f"/meetings/{meeting.id}/edit", follow_redirects=False,
                                    data=posted(w, 1, duration_minutes="50"))
        assert response.status_code == 303
    # The coach's page is still at version 1: the tick is saved, the page stays behind.
    response = await client.post(f"/meetings/{meeting.id}/attendance", headers=HTMX, data={
        "participant": str(w.ben.id), "present": [str(w.anna.id), str(w.ben.id)],
        "version": "1"})
    assert response.status_code == 200
    assert "hx-swap-oob" not in response.text
    assert await present_ids(meeting.id) == {w.anna.id, w.ben.id}
    assert (await saved(meeting.id)).version == 3
    # Maija's form (version 2) predates the tick: her save of "Anna only" is refused.
    async with AsyncTestClient(app=app) as other:
        await sign_in(other, maija)
        response = await other.post(f"/meetings/{meeting.id}/edit", follow_redirects=False,
                                    data=posted(w, 2, duration_minutes="50"))
        assert response.status_code == 409
        conflict = conflict_box(response.text)
        assert "Coach" in conflict and "Ben" in conflict
    assert await present_ids(meeting.id) == {w.anna.id, w.ben.id}
