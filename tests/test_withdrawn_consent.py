"""Withdrawn consent stops collection everywhere (issue 11 point 3).

From the day a participant withdraws: they are marked wherever staff see them, they are
left off new meetings' rosters, news, ticks, detail edits and assessments are refused on
the server (also when the withdrawal comes at the same moment as the save), older rows
stay until an admin erases them, and admins see who waits for erasure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3

import httpx
import pytest
from litestar.middleware.csrf import generate_csrf_token

from coach.assessments.services import ConsentError, save_check
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.audit.tables import AuditEvent
from coach.auth.protection import CSRF_COOKIE, CSRF_HEADER, csrf_config
from coach.auth.sessions import SESSION_COOKIE, create_session
from coach.choices import AssessmentMode
from coach.db import is_postgres
from coach.forms import today
from coach.meetings import services as meetings
from coach.meetings.tables import Attendance, Meeting
from coach.participant_portal.services import withdraw_consent
from coach.participants.tables import Participant, StatusChange
from tests.auth_helpers import sign_in_directly
from tests.coach_world import HTMX, audit_actions, make_world, sign_in
from tests.factories import make_participant

WITHDRAWN = "Consent withdrawn"
REFUSED = "Consent has been withdrawn"
WHO5 = {"cheerful": 2, "calm": 3, "active": 1, "rested": 2, "interest": 3}


@pytest.fixture(autouse=True)
def no_redirects(client):
    """Let the tests see each 303 rather than the page it leads to."""
    client.follow_redirects = False



async def withdraw(person: Participant) -> None:
    """Withdraw as the participant's own page does."""
    assert await withdraw_consent(person.id, today())


def news(day: dt.date | None = None) -> dict[str, str]:
    return {"status": "employed_part_time", "effective_on": (day or today()).isoformat()}


def meeting_form(present: list[Participant], day: dt.date | None = None, **more) -> dict:
    return {"held_on": (day or today()).isoformat(), "duration_minutes": "75",
            "themes": ["sleep"], "present": [str(person.id) for person in present],
            "private_note": "", **more}


def item_of(html: str, marker: str) -> str:
    """Return the <li> of a list that holds the marker (a name or a data attribute)."""
    at = html.index(marker)
    return html[html.rindex("<li", 0, at):html.index("</li>", at)]


async def attendance_of(meeting_id: int) -> dict[int, bool]:
    rows = await Attendance.select(Attendance.participant, Attendance.present).where(
        Attendance.meeting == meeting_id)
    return {row["participant"]: row["present"] for row in rows}


async def news_count(person: Participant) -> int:
    return await StatusChange.count().where(StatusChange.participant == person.id)


async def log_meeting(w, present: list[Participant], day: dt.date) -> Meeting:
    """Save a meeting through the service, as the coach's form does."""
    cleaned = {"held_on": day, "duration_minutes": 75, "themes": ["sleep"],
               "present": {person.id for person in present}, "private_note": ""}
    return await meetings.create_meeting(w.group.id, cleaned, w.coach.id)


# --- marked wherever staff see them --------------------------------------------------------


async def test_the_coach_sees_the_mark_on_home_group_page_meeting_form_and_participant_page(
        client):
    w = await make_world()
    # Both are due a check and have had no news for 40 days: Ben gets next steps, Anna none.
    long_ago = now() - dt.timedelta(days=40)
    await Participant.update({Participant.created_at: long_ago}).where(
        Participant.id.is_in([w.anna.id, w.ben.id]))
    await StatusChange.update({StatusChange.recorded_at: long_ago}).where(
        StatusChange.participant.is_in([w.anna.id, w.ben.id]))
    await withdraw(w.anna)
    await sign_in(client, w.coach)

    home = (await client.get("/")).text
    assert WITHDRAWN in item_of(home, f'data-withdrawn="{w.anna.id}"')
    assert f'data-person="{w.ben.id}"' in home  # Ben's next steps are there...
    assert f'data-person="{w.anna.id}"' not in home  # ...Anna has none
    assert "Waiting for erasure" not in home  # the count is the admin's

    group = (await client.get(f"/groups/{w.group.id}")).text
    assert WITHDRAWN in item_of(group, "<strong>Anna</strong>")
    assert WITHDRAWN not in item_of(group, "<strong>Ben</strong>")
    assert "Self-assessment" not in item_of(group, "<strong>Anna</strong>")

    form = (await client.get(f"/groups/{w.group.id}/meetings/new")).text
    anna = item_of(form, f'id="toggle-{w.anna.id}"')
    assert WITHDRAWN in anna and "Not recorded" in anna and "<input" not in anna
    assert f'id="present-{w.ben.id}"' in form

    page = (await client.get(f"/participants/{w.anna.id}")).text
    # A notice at the top: before anything else the page shows of her.
    top = page[page.index("<h1>"):page.index('id="news"')]
    notice = top[top.index('id="consent-withdrawn"'):]
    assert "Consent withdrawn on" in notice
    assert "Nothing new is recorded about this person" in notice
    assert "An administrator will erase their data" in notice
    assert 'id="news-form"' not in page
    assert f"/participants/{w.anna.id}/edit" not in page
    assert f"/participants/{w.anna.id}/leave" in page  # marking as left stays possible


# --- refused on the server -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
async def test_news_for_a_withdrawn_person_is_refused_with_the_reason(client, headers):
    w = await make_world()
    await withdraw(w.anna)
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/news", data=news(),
                                 headers=headers)
    assert response.status_code == 409
    assert REFUSED in response.text and "Anna" in response.text
    assert await news_count(w.anna) == 1  # only the status at enrolment
    assert await audit_actions("participant.news") == []
    # The rows recorded before the withdrawal stay until an admin erases them.
    assert await Participant.exists().where(Participant.id == w.anna.id)


async def test_a_new_meeting_leaves_them_off_and_a_crafted_tick_saves_nothing(client):
    w = await make_world()
    await withdraw(w.anna)
    await sign_in(client, w.coach)
    crafted = await client.post(f"/groups/{w.group.id}/meetings/new",
                                data=meeting_form([w.anna, w.ben]))
    assert crafted.status_code == 422
    assert REFUSED in crafted.text and "Anna" in crafted.text
    assert await Meeting.count() == 0  # not even the rest of the meeting
    # Left off the roster for any meeting logged after the withdrawal, even one dated
    # before it: that too would be new data about them.
    for day in (today(), today() - dt.timedelta(days=3)):
        saved = await client.post(f"/groups/{w.group.id}/meetings/new",
                                  data=meeting_form([w.ben], day, confirm_same_day="1"))
        assert saved.status_code == 303, saved.text
    for meeting in await Meeting.objects():
        assert await attendance_of(meeting.id) == {w.ben.id: True}


async def test_an_earlier_meeting_keeps_their_stored_ticks_when_edited(client):
    w = await make_world()
    yesterday = today() - dt.timedelta(days=1)
    came = await log_meeting(w, [w.anna, w.ben], yesterday)
    stayed_away = await log_meeting(w, [w.ben], yesterday - dt.timedelta(days=7))
    await withdraw(w.anna)
    await sign_in(client, w.coach)

    page = (await client.get(f"/meetings/{came.id}/edit")).text
    anna = item_of(page, f'id="toggle-{w.anna.id}"')
    assert WITHDRAWN in anna and "Came" in anna and "<input" not in anna
    # The form sends no tick for her; saving it changes the rest and keeps hers.
    edited = await client.post(f"/meetings/{came.id}/edit", data=meeting_form(
        [w.ben], yesterday, version="1", duration_minutes="60"))
    assert edited.status_code == 303, edited.text
    assert (await Meeting.objects().get(Meeting.id == came.id)).duration_minutes == 60
    assert await attendance_of(came.id) == {w.anna.id: True, w.ben.id: True}
    # Unticking her everywhere (a crafted form of only Ben's unticked) keeps her tick too.
    emptied = await client.post(f"/meetings/{came.id}/edit", data=meeting_form(
        [], yesterday, version="2", confirm_nobody_present="1"))
    assert emptied.status_code == 303, emptied.text
    assert await attendance_of(came.id) == {w.anna.id: True, w.ben.id: False}

    # A new tick for her where she was absent is refused, and nothing of the edit is saved.
    crafted = await client.post(f"/meetings/{stayed_away.id}/edit", data=meeting_form(
        [w.anna, w.ben], stayed_away.held_on, version="1", duration_minutes="30"))
    assert crafted.status_code == 422 and REFUSED in crafted.text
    after = await Meeting.objects().get(Meeting.id == stayed_away.id)
    assert (after.version, after.duration_minutes) == (1, 75)
    assert await attendance_of(stayed_away.id) == {w.anna.id: False, w.ben.id: True}

    # The one-tap toggle is refused both ways: her stored ticks are kept as they are.
    for meeting, tick in ((stayed_away, [str(w.anna.id)]), (came, [])):
        toggled = await client.post(f"/meetings/{meeting.id}/attendance",
                                    data={"participant": str(w.anna.id), "present": tick})
        assert toggled.status_code == 409 and REFUSED in toggled.text
    assert await attendance_of(stayed_away.id) == {w.anna.id: False, w.ben.id: True}
    assert await attendance_of(came.id) == {w.anna.id: True, w.ben.id: False}
    assert len(await audit_actions("meeting.attendance")) == 0


async def test_a_tick_of_another_groups_withdrawn_person_does_not_name_them(client):
    w = await make_world()
    await withdraw(w.stranger)
    meeting = await log_meeting(w, [w.ben], today())
    await sign_in(client, w.coach)
    toggled = await client.post(f"/meetings/{meeting.id}/attendance",
                                data={"participant": str(w.stranger.id),
                                      "present": [str(w.stranger.id)]})
    assert toggled.status_code == 400
    assert "Stranger" not in toggled.text
    crafted = await client.post(f"/groups/{w.group.id}/meetings/new",
                                data=meeting_form([w.stranger, w.ben]))
    assert crafted.status_code == 422 and "Stranger" not in crafted.text


async def test_details_are_no_longer_edited_but_marking_as_left_is_allowed(client):
    w = await make_world()
    await withdraw(w.anna)
    await sign_in(client, w.coach)
    shown = await client.get(f"/participants/{w.anna.id}/edit", follow_redirects=False)
    assert shown.status_code == 303
    assert shown.headers["location"] == f"/participants/{w.anna.id}"
    form = {"display_name": "Anna-Liisa", "birth_year": "1981", "gender": "female",
            "education": "basic", "status_at_entry": "unemployed", "unemployed_for": "over_24",
            "enrolled_on": w.group.starts_on.isoformat()}
    edited = await client.post(f"/participants/{w.anna.id}/edit", data=form)
    assert edited.status_code == 409 and REFUSED in edited.text
    stored = await Participant.objects().get(Participant.id == w.anna.id)
    assert (stored.display_name, stored.birth_year) == ("Anna", 1980)
    # Leaving ends her place in the group's counts; it asks nothing new of her.
    left = await client.post(f"/participants/{w.anna.id}/leave",
                             data={"exited_on": today().isoformat(), "exit_reason": "Withdrew"})
    assert left.status_code == 303
    assert (await Participant.objects().get(Participant.id == w.anna.id)).exited_on == today()


async def test_assessments_are_refused_in_her_own_session_and_in_fill_in_together(app, client):
    w = await make_world()
    await withdraw(w.anna)
    sessions = (dict(participant=w.anna), dict(user=w.coach, together_with=w.anna))
    for session in sessions:
        client.cookies.clear()
        client.headers["accept-language"] = "en"
        await sign_in_directly(client, **session)
        assert (await client.get("/me/check")).status_code == 403
        assert (await client.post("/me/check/save", data={})).status_code == 403
    for mode, recorded_by in ((AssessmentMode.invite, None),
                              (AssessmentMode.together, w.coach.id)):
        with pytest.raises(ConsentError):
            await save_check(w.anna.id, {"who5": WHO5}, mode=mode, recorded_by=recorded_by)
    assert await Assessment.count() == 0


# --- the same moment -----------------------------------------------------------------------


async def test_a_withdrawal_right_after_the_form_was_checked_still_refuses_the_meeting(
        client, monkeypatch):
    """The worst moment: the form's check saw consent, the save comes after withdrawal."""
    w = await make_world()
    earlier = await log_meeting(w, [w.ben], today() - dt.timedelta(days=1))
    real = meetings.check_roster

    async def checked_then_withdrawn(*args, **kwargs):
        errors = await real(*args, **kwargs)
        await Participant.update({Participant.consent_withdrawn_on: today()}).where(
            Participant.id == w.anna.id)
        return errors

    monkeypatch.setattr(meetings, "check_roster", checked_then_withdrawn)
    await sign_in(client, w.coach)
    created = await client.post(f"/groups/{w.group.id}/meetings/new",
                                data=meeting_form([w.anna, w.ben]))
    assert created.status_code == 409 and REFUSED in created.text
    assert await Meeting.count() == 1
    await Participant.update({Participant.consent_withdrawn_on: None}).where(
        Participant.id == w.anna.id)
    edited = await client.post(f"/meetings/{earlier.id}/edit", data=meeting_form(
        [w.anna, w.ben], earlier.held_on, version="1", duration_minutes="30"))
    assert edited.status_code == 409 and REFUSED in edited.text
    after = await Meeting.objects().get(Meeting.id == earlier.id)
    assert (after.version, after.duration_minutes) == (1, 75)
    assert await attendance_of(earlier.id) == {w.anna.id: False, w.ben.id: True}


@pytest.fixture
async def racer(app, client):
    """Give signed-in clients whose requests really overlap in this event loop.

    Litestar's test client waits for each request in a portal thread; httpx's ASGI
    transport lets requests interleave. (`client` has run the app's start-up.)
    """
    clients: list[httpx.AsyncClient] = []

    async def signed_in(**who) -> httpx.AsyncClient:
        settings = app.state["settings"]
        raw, _session_id = await create_session(settings, **who)
        token = generate_csrf_token(csrf_config(settings).secret)
        racing = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://testserver.local",
                                   headers={CSRF_HEADER: token, "accept-language": "en"})
        racing.cookies.set(SESSION_COOKIE, raw)
        racing.cookies.set(CSRF_COOKIE, token)
        clients.append(racing)
        return racing

    yield signed_in
    for racing in clients:
        await racing.aclose()


class HeldWithdrawal:
    """A withdrawal written but not yet committed, on a connection of its own."""

    def __init__(self, person: Participant):
        self.person = person
        self.connection = None
        self.transaction = None

    async def __aenter__(self):
        engine = Participant._meta.db
        if is_postgres(Participant):
            self.connection = await engine.get_new_connection()
            self.transaction = self.connection.transaction()
            await self.transaction.start()
            await self.connection.execute(
                "UPDATE participant SET consent_withdrawn_on = $1 WHERE id = $2",
                today(), self.person.id)
        else:
            self.connection = sqlite3.connect(engine.path, timeout=30, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute(
                "UPDATE participant SET consent_withdrawn_on = ? WHERE id = ?",
                (today().isoformat(), self.person.id))
        return self

    async def commit(self):
        if is_postgres(Participant):
            await self.transaction.commit()
            await self.connection.close()
        else:
            self.connection.execute("COMMIT")
            self.connection.close()
        self.connection = None

    async def __aexit__(self, *exc):
        if self.connection is not None:  # the test failed before committing
            if is_postgres(Participant):
                await self.transaction.rollback()
                await self.connection.close()
            else:
                self.connection.execute("ROLLBACK")
                self.connection.close()


@pytest.mark.parametrize("kind", ["news", "meeting"])
async def test_a_save_waits_for_a_withdrawal_in_progress_and_is_refused(racer, kind):
    """The save started while the withdrawal was being written: it waits and sees it.

    A save that read consent outside its own transaction (or without the row lock on
    PostgreSQL) would go through here with the consent it saw before the withdrawal.
    """
    w = await make_world()
    coach = await racer(user_id=w.coach.id)
    async with HeldWithdrawal(w.anna) as held:
        if kind == "news":
            sent = coach.post(f"/participants/{w.anna.id}/news", data=news())
        else:
            sent = coach.post(f"/groups/{w.group.id}/meetings/new",
                              data=meeting_form([w.anna, w.ben]))
        saving = asyncio.ensure_future(sent)
        await asyncio.sleep(0.6)
        assert not saving.done(), "the save did not wait for the withdrawal"
        await held.commit()
        response = await asyncio.wait_for(saving, 30)
    # SQLite runs one write at a time, so there the request may wait before its form
    # check already, which then refuses it (422); either way with the reason.
    expected = {409} if kind == "news" or is_postgres(Participant) else {409, 422}
    assert response.status_code in expected, response.text
    assert REFUSED in response.text
    assert await news_count(w.anna) == 1
    assert await Meeting.count() == 0


ROUNDS = 12


@pytest.mark.parametrize("kind", ["news", "meeting"])
async def test_withdrawals_and_saves_at_the_same_moment_never_record_after_the_withdrawal(
        racer, kind):
    """Many real races: each save either came first (and was saved) or was refused."""
    w = await make_world()
    coach = await racer(user_id=w.coach.id)
    for round_number in range(ROUNDS):
        person = await make_participant(w.group, f"P{round_number:02}")
        own = await racer(participant_id=person.id)
        if kind == "news":
            save = coach.post(f"/participants/{person.id}/news", data=news())
        else:
            save = coach.post(f"/groups/{w.group.id}/meetings/new", data=meeting_form(
                [person], confirm_same_day="1"))
        leave = own.post("/me/withdraw")
        if round_number % 2:
            saved, withdrawn = await asyncio.gather(save, leave)
        else:
            withdrawn, saved = await asyncio.gather(leave, save)
        assert withdrawn.status_code == 303, withdrawn.text
        assert saved.status_code in (303, 409, 422), saved.text
        recorded = (await news_count(person) - 1 if kind == "news" else
                    await Attendance.count().where(Attendance.participant == person.id))
        if saved.status_code == 303:
            assert recorded == 1
        else:
            assert REFUSED in saved.text, re.findall(r'field__error[^>]*>([^<]*)<', saved.text)
            assert recorded == 0
        # Whatever the order, nothing more gets through afterwards.
        again = await coach.post(f"/participants/{person.id}/news", data=news())
        assert again.status_code == 409
        assert await Participant.exists().where(
            (Participant.id == person.id) & Participant.consent_withdrawn_on.is_not_null())


# --- the admin's list of people waiting for erasure ----------------------------------------


async def test_the_admin_sees_who_waits_for_erasure_oldest_first_with_the_days(client):
    w = await make_world()
    day = today()
    waiting = {"Veera": 10, "Ville": 2, "Venla": 0}
    people = {}
    for name, days in waiting.items():
        people[name] = await make_participant(
            w.group, name, consent_withdrawn_on=day - dt.timedelta(days=days))
    await make_participant(w.group, "Gone", consent_withdrawn_on=day, erased_at=now())

    await sign_in(client, w.coach)
    assert (await client.get("/admin/erasure")).status_code == 403
    await sign_in(client, w.admin)
    home = (await client.get("/")).text
    assert re.search(r'<a href="/admin/erasure">Waiting for erasure: 3</a>', home)

    page = (await client.get("/admin/erasure")).text
    order = [page.index(f"<strong>{name}</strong>") for name in ("Veera", "Ville", "Venla")]
    assert order == sorted(order)
    assert "Waited 10 days" in item_of(page, "<strong>Veera</strong>")
    assert "Waited 2 days" in item_of(page, "<strong>Ville</strong>")
    assert "Waited 0 days" in item_of(page, "<strong>Venla</strong>")
    assert f'href="/admin/participants/{people["Veera"].id}/erase"' in page
    for absent in ("Gone", "Anna", "Ben"):
        assert f"<strong>{absent}</strong>" not in page
    [event] = await audit_actions("erasure.queue.view")
    assert sorted(event["detail"]["participants"]) == sorted(p.id for p in people.values())

    erased = await client.post(f"/admin/participants/{people['Veera'].id}/erase")
    assert erased.status_code == 303
    home = (await client.get("/")).text
    assert "Waiting for erasure: 2" in home
    empty_after = [await client.post(f"/admin/participants/{people[name].id}/erase")
                   for name in ("Ville", "Venla")]
    assert [response.status_code for response in empty_after] == [303, 303]
    assert "Nobody is waiting for erasure." in (await client.get("/admin/erasure")).text
    assert await AuditEvent.count().where(AuditEvent.action == "participant.erase") == 3
