"""A participant's way back (issue 11 points 4 and 5): the personal link and signing out."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading

import pytest
from litestar.testing import AsyncTestClient, TestClient

from coach.assessments.schedule import (
    DUE,
    FOLLOW_UP,
    LATE,
    MISSED,
    last_day_to_answer,
    measurement_points,
    point_statuses,
)
from coach.assessments.services import participant_schedule
from coach.audit.tables import AuditEvent
from coach.auth import invites, participant_routes
from coach.auth.invites import (
    InviteRefused,
    count_open_invites,
    create_invite,
    last_day,
    sign_in_with_link,
)
from coach.auth.sessions import SESSION_COOKIE
from coach.auth.tables import Invite, WebSession
from coach.forms import today
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.participants.tables import Participant
from tests.auth_helpers import csrf_token, open_link
from tests.coach_world import audit_actions, make_world, sign_in
from tests.factories import make_group, make_participant

LINK = re.compile(r'value="(http://testserver\.local/i/([A-Za-z0-9_-]+))"')


async def make_link(client, w, **form) -> str:
    """Have the coach make Anna's link on the invite page; return the token shown."""
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/invite", data=form)
    assert response.status_code == 200, response.text
    match = LINK.search(response.text)
    assert match, "the page shows the link"
    return match.group(2)


async def tap(client, token: str, follow: bool = False):
    """Open the link as a participant does: the page, then its button."""
    assert (await client.get(f"/i/{token}")).status_code == 200
    return await client.post(f"/i/{token}", data={"_csrf_token": csrf_token(client)},
                             follow_redirects=follow)


async def anna_sessions(w) -> int:
    return await WebSession.count().where(WebSession.participant == w.anna.id)


# --- the link's lifetime: the assessment schedule's, to the day -----------------------------

D = dt.date
FOLLOW_UP_OVER = "The six-month follow-up of this participant is over."
FIRST, LAST = D(1, 1, 1), D(9999, 12, 31)  # stored before the forms bounded dates
# (starts_on, ends_on, enrolled_on, exited_on): month ends, early leavers and late joiners,
# rows the forms refuse today (a joiner after the end, a leaver before joining, a run longer
# than five years) and dates at the ends of what Python's date holds.
RUNS = [
    (D(2026, 3, 1), D(2026, 8, 31), None, None),
    (D(2027, 3, 1), D(2027, 8, 31), None, None),  # the follow-up falls on Feb 29
    (D(2026, 1, 1), D(2027, 6, 30), None, D(2027, 1, 31)),
    (D(2026, 1, 1), D(2027, 6, 30), D(2026, 5, 31), D(2026, 8, 31)),
    (D(2026, 1, 1), D(2027, 6, 30), None, D(2028, 1, 1)),  # "left" after the end
    (D(2026, 1, 1), D(2026, 6, 30), D(2026, 8, 31), None),
    (D(2026, 1, 1), D(2026, 6, 30), D(2026, 3, 1), D(2026, 2, 1)),
    (D(2026, 1, 1), D(2035, 1, 1), None, None),
    (D(2026, 1, 1), LAST, None, None),
    (D(2026, 1, 1), LAST, None, LAST),
    (D(2026, 1, 1), FIRST, None, None),
    (FIRST, LAST, None, None),
    (FIRST, FIRST, FIRST, FIRST),
    (LAST, LAST, LAST, LAST),
    (D(2100, 12, 31), D(2100, 12, 31), None, None),
]


@pytest.mark.parametrize("interval", [0, 1, 4, 52])
@pytest.mark.parametrize(("starts_on", "ends_on", "enrolled_on", "exited_on"), RUNS)
def test_the_last_day_is_the_last_day_a_check_is_due_or_late(
        starts_on, ends_on, enrolled_on, exited_on, interval):
    """Not a day shorter (the follow-up is still late then) and not a day longer."""
    last = last_day_to_answer(starts_on, ends_on, enrolled_on, exited_on)
    points = measurement_points(starts_on, ends_on, interval, enrolled_on, exited_on)

    def statuses(day):
        return [entry.status for entry in point_statuses(points, [], ["x"], day)]

    assert points[-1].kind == FOLLOW_UP
    assert statuses(last)[-1] in (DUE, LATE)
    assert set(statuses(last + dt.timedelta(days=1))) == {MISSED}


def test_the_follow_up_counts_from_the_end_or_leaving_with_month_ends_kept():
    # Due six months after the end (or the month's last day), and late for four weeks more.
    assert last_day_to_answer(D(2026, 3, 1), D(2026, 8, 31)) == D(2027, 3, 28)  # Feb 28
    assert last_day_to_answer(D(2027, 3, 1), D(2027, 8, 31)) == D(2028, 3, 28)  # Feb 29
    assert last_day_to_answer(D(2026, 1, 1), D(2027, 6, 30), None, D(2027, 1, 31)) == D(
        2027, 8, 28)
    assert last_day_to_answer(D(2026, 1, 1), D(2027, 6, 30), None, D(2028, 1, 1)) == (
        last_day_to_answer(D(2026, 1, 1), D(2027, 6, 30)))


async def person_with(starts_on, ends_on, enrolled_on=None, exited_on=None) -> Participant:
    """A participant of a new group with these dates, stored past the forms' checks.

    The database still holds its own rules: a group ends after it starts, and nobody
    leaves before joining.
    """
    group = CoachingGroup(name=f"Ryhmä {starts_on} {ends_on}", starts_on=starts_on,
                          ends_on=ends_on, created_at=dt.datetime.now(dt.UTC))
    await group.save()
    return await make_participant(group, enrolled_on=enrolled_on or starts_on,
                                  exited_on=exited_on)


# Made today (the link is refused once the follow-up is over), so the dates lie ahead.
@pytest.mark.parametrize(("starts_on", "ends_on", "enrolled_on", "exited_on", "expected"), [
    (D(2030, 3, 1), D(2030, 8, 31), None, None, D(2031, 3, 28)),
    (D(2031, 3, 1), D(2031, 8, 31), None, None, D(2032, 3, 28)),  # Feb 29 + 28 days
    (D(2030, 1, 1), D(2030, 12, 31), None, D(2030, 5, 31), D(2030, 12, 28)),  # left early
    # Joined after the end the group has stored: the schedule asks six months after joining;
    # the link used to stop on 2031-01-27, two months before that follow-up was over.
    (D(2030, 1, 1), D(2030, 6, 30), D(2030, 8, 31), None, D(2031, 3, 28)),
    # An end typed as 9999: the schedule ends the run after five years; the link used to
    # work until 2101.
    (D(2030, 1, 1), LAST, None, None, D(2035, 7, 29)),
    (D(9999, 12, 30), LAST, LAST, LAST, D(2101, 7, 28)),  # moved to 2100-12-31 first
])
async def test_the_link_works_exactly_while_the_participant_has_a_check_to_answer(
        starts_on, ends_on, enrolled_on, exited_on, expected):
    person = await person_with(starts_on, ends_on, enrolled_on, exited_on)
    token = await create_invite(person.id, created_by=None)
    row = await Invite.objects().where(Invite.participant == person.id).first()
    assert last_day(row.expires_at) == expected
    assert await open_link(token) == person.id
    # The coach's due list (the real schedule of this participant) agrees, to the day.
    assert {entry.status for entry in await participant_schedule(person, expected)} & {DUE, LATE}
    after = expected + dt.timedelta(days=1)
    assert {entry.status for entry in await participant_schedule(person, after)} == {MISSED}
    stored = await invites._person(person.id)
    assert invites.refusal(stored, expected) is None
    assert invites.refusal(stored, after) == _(FOLLOW_UP_OVER)


async def test_a_follow_up_long_over_refuses_a_link_and_odd_dates_raise_nothing_else():
    # Years typed as 1 and 9999: the run is 1900 to 1905 (the link used to work until 2101).
    for dates in [(D(2020, 1, 1), D(2020, 6, 30)), (FIRST, D(1, 1, 2)), (FIRST, LAST)]:
        person = await person_with(*dates)
        with pytest.raises(InviteRefused, match=re.escape(_(FOLLOW_UP_OVER))):
            await create_invite(person.id, created_by=None)


# --- the coach's page -----------------------------------------------------------------------

async def test_the_coach_gets_the_link_once_with_qr_copy_and_share_and_only_a_hash_is_kept(
        client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/invite")
    assert response.status_code == 200
    token = LINK.search(response.text).group(2)
    assert "<svg" in response.text  # the QR code
    assert "data-share-link" in response.text and "/static/share.js" in response.text
    assert "<script>" not in response.text  # no inline script (the CSP forbids it)
    works_until = last_day_to_answer(w.group.starts_on, w.group.ends_on)
    assert str(works_until.year) in response.text
    rows = await Invite.select()
    assert len(rows) == 1 and token not in str(rows)
    assert all(token not in str(event) for event in await AuditEvent.select())
    assert len(await audit_actions("invite.create")) == 1


async def test_asking_again_shows_the_link_state_and_makes_a_new_one_only_when_told(
        client, app):
    w = await make_world()
    old = await make_link(client, w)
    async with AsyncTestClient(app=app) as phone:
        await tap(phone, old)
    asked = await client.post(f"/participants/{w.anna.id}/invite")
    assert asked.status_code == 200 and not LINK.search(asked.text)
    assert "already has a personal link" in asked.text
    assert 'name="renew" value="1"' in asked.text
    assert await Invite.count() == 1
    new = await make_link(client, w, renew="1")
    assert new != old
    assert await open_link(old) is None
    assert await open_link(new) == w.anna.id
    assert await count_open_invites(w.anna.id) == 1
    renewed = await audit_actions("invite.create")
    assert renewed[-1]["detail"] == {"renewed": True}


async def test_making_a_link_asks_once_whether_one_may_be_made(client, statements):
    """The check runs in the transaction that makes the link (and the access check once)."""
    w = await make_world()
    await sign_in(client, w.coach)

    def counted() -> tuple[int, int]:
        looked_up = [sql for sql in statements if sql.startswith('SELECT ALL "participant"."id"')]
        checked = [sql for sql in statements if '"participant$group"."closed_at"' in sql]
        return len(looked_up), len(checked)

    for form in ({}, {"renew": "1"}):
        statements.clear()
        made = await client.post(f"/participants/{w.anna.id}/invite", data=form)
        assert made.status_code == 200 and LINK.search(made.text)
        assert counted() == (1, 1)
        # The session, the participant, the working link; in the transaction the check,
        # the older links revoked and the new one (on PostgreSQL after a lock of the
        # participant's links); the audit event; the link's last day.
        assert len(statements) == (9 if Invite._meta.db.engine_type == "postgres" else 8)
    statements.clear()
    shown = await client.post(f"/participants/{w.anna.id}/invite")
    assert shown.status_code == 200 and "already has a personal link" in shown.text
    assert counted() == (1, 1) and len(statements) == 4


async def test_a_participant_comes_back_with_the_same_link_after_signing_out(client, app):
    w = await make_world()
    token = await make_link(client, w)
    async with AsyncTestClient(app=app) as phone:
        phone.headers["accept-language"] = "en"
        first = await tap(phone, token)
        assert first.status_code == 303 and first.headers["location"] == "/me"
        asked = await phone.post("/logout")
        assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.text
        assert await anna_sessions(w) == 1  # asking signed nobody out
        out = await phone.post("/logout", data={"confirm": "1"}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/signed-out"
        assert await anna_sessions(w) == 0
        page = await phone.get("/signed-out")
        assert "Open your personal link to come back." in page.text
        assert 'name="password"' not in page.text  # not the staff sign-in form
        again = await tap(phone, token, follow=True)
        assert again.status_code == 200 and "Hello, Anna!" in again.text
    assert len(await audit_actions("invite.use")) == 2
    assert [e["target_id"] for e in await audit_actions("logout")] == [w.anna.id]


async def test_a_participant_whose_session_ended_is_sent_to_the_participants_page(client):
    w = await make_world()
    await sign_in(client, participant=w.anna)
    await WebSession.delete().where(WebSession.participant == w.anna.id)  # e.g. it expired
    response = await client.get("/me/progress", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signed-out"
    staff = await client.get(f"/groups/{w.group.id}", follow_redirects=False)
    assert staff.headers["location"] == f"/login?next=/groups/{w.group.id}"


async def test_staff_and_the_coachs_phone_handed_over_sign_out_at_once(client):
    w = await make_world()
    await sign_in(client, w.coach)
    out = await client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    async with AsyncTestClient(app=client.app) as handed_over:
        from tests.auth_helpers import sign_in_directly

        await sign_in_directly(handed_over, user=w.coach, together_with=w.anna)
        out = await handed_over.post("/logout", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert await WebSession.count() == 0


# --- when the link stops --------------------------------------------------------------------

async def test_withdrawing_consent_ends_the_link(client, app):
    w = await make_world()
    token = await make_link(client, w)
    async with AsyncTestClient(app=app) as phone:
        await tap(phone, token)
        withdrawn = await phone.post("/me/withdraw", follow_redirects=False)
        assert withdrawn.status_code == 303
    async with AsyncTestClient(app=app) as later:
        assert (await later.get(f"/i/{token}")).status_code == 404
        refused = await later.post(f"/i/{token}", data={"_csrf_token": csrf_token(later)})
        assert refused.status_code == 404 and later.cookies.get(SESSION_COOKIE) is None


async def test_erasure_and_a_closed_group_end_the_link(client):
    w = await make_world()
    token = await create_invite(w.anna.id, created_by=None)
    await Participant.update({Participant.erased_at: dt.datetime.now(dt.UTC)}).where(
        Participant.id == w.anna.id)
    assert (await client.get(f"/i/{token}")).status_code == 404
    ben = await create_invite(w.ben.id, created_by=None)
    await CoachingGroup.update({CoachingGroup.closed_at: dt.datetime.now(dt.UTC)}).where(
        CoachingGroup.id == w.group.id)
    assert await open_link(ben) is None


async def test_the_link_ends_when_the_follow_up_after_leaving_is_over(client):
    w = await make_world()
    long_run = await make_group("Pitkä", coaches=[w.coach], weeks=80,
                                starts_on=today() - dt.timedelta(days=400))
    sara = await make_participant(long_run, display_name="Sara")
    token = await create_invite(sara.id, created_by=None)
    assert await open_link(token) == sara.id
    left_on = today() - dt.timedelta(days=240)  # six months and four weeks ago, and more
    await Participant.update({Participant.exited_on: left_on}).where(Participant.id == sara.id)
    assert (await client.get(f"/i/{token}")).status_code == 404
    assert await open_link(token) is None
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{sara.id}/invite")
    assert response.status_code == 409 and "follow-up" in response.text
    # Someone who left recently still has their follow-up ahead: their link works.
    await Participant.update({Participant.exited_on: today()}).where(Participant.id == sara.id)
    assert await open_link(await create_invite(sara.id, created_by=None)) == sara.id


async def test_nothing_is_started_for_a_participant_who_withdrew_consent(client):
    w = await make_world()
    await Participant.update({Participant.consent_withdrawn_on: today()}).where(
        Participant.id == w.anna.id)
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/invite", data={"renew": "1"})
    assert response.status_code == 409
    assert "This participant has withdrawn consent." in response.text
    assert await Invite.count() == 0
    started = await client.post(f"/participants/{w.anna.id}/together", follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"] == f"/participants/{w.anna.id}"
    session = await WebSession.objects().first()
    assert session.data in ({}, "{}")  # still the coach's own session, not handed over
    page = await client.get(f"/participants/{w.anna.id}")
    assert "withdrawn consent: they no longer answer checks." in page.text
    assert not await AuditEvent.exists().where(AuditEvent.action.is_in(
        ["invite.create", "together.start"]))
    with pytest.raises(InviteRefused):
        await create_invite(w.anna.id, created_by=None)


async def test_cancelling_ends_the_link_and_every_session_of_it(client, app):
    w = await make_world()
    token = await make_link(client, w)
    async with AsyncTestClient(app=app) as phone:
        await tap(phone, token)
        assert await anna_sessions(w) == 1
        done = await client.post(f"/participants/{w.anna.id}/invite/revoke",
                                 data={"confirm": "1"}, follow_redirects=False)
        assert done.status_code == 303
        assert await anna_sessions(w) == 0
        assert (await phone.get("/me", follow_redirects=False)).status_code == 303
        assert (await phone.get(f"/i/{token}")).status_code == 404


# --- at the same moment ---------------------------------------------------------------------

def hold_the_open_link(monkeypatch, delay: float = 0.5) -> threading.Barrier:
    """Stop an opening link inside its transaction (row updated, no session yet) for a while.

    The other request waits at the barrier, then starts while the open is still held.
    """
    barrier = threading.Barrier(2)
    real = invites.create_session

    async def held(*args, **kwargs):
        await asyncio.to_thread(barrier.wait, 10)
        await asyncio.sleep(delay)
        return await real(*args, **kwargs)

    monkeypatch.setattr(invites, "create_session", held)
    return barrier


def wait_then(monkeypatch, barrier: threading.Barrier, name: str) -> None:
    """Make participant_routes.<name> wait at the barrier before it runs."""
    real = getattr(participant_routes, name)

    async def waiting(*args, **kwargs):
        await asyncio.to_thread(barrier.wait, 10)
        return await real(*args, **kwargs)

    monkeypatch.setattr(participant_routes, name, waiting)


async def race(app, w, token: str, coach_url: str, coach_form: dict) -> tuple:
    """Open the link and post the coach's form at the same moment, from two threads."""
    with TestClient(app=app) as phone, TestClient(app=app) as coach_phone:
        await sign_in(coach_phone, w.coach)
        csrf = csrf_token(phone)
        opening = asyncio.to_thread(phone.post, f"/i/{token}", data={"_csrf_token": csrf},
                                    follow_redirects=False)
        acting = asyncio.to_thread(coach_phone.post, coach_url, data=coach_form,
                                   follow_redirects=False)
        opened, acted = await asyncio.gather(opening, acting)
        still_in = (phone.get("/me", follow_redirects=False)).status_code
    return opened.status_code, acted.status_code, still_in


async def test_cancelling_while_the_link_opens_leaves_no_way_in(client, app, monkeypatch):
    w = await make_world()
    token = await create_invite(w.anna.id, created_by=None)
    barrier = hold_the_open_link(monkeypatch)
    wait_then(monkeypatch, barrier, "revoke_invites")
    opened, cancelled, still_in = await race(
        app, w, token, f"/participants/{w.anna.id}/invite/revoke", {"confirm": "1"})
    # The open was first (the cancel waited for it), and the cancel then ended its session.
    assert (opened, cancelled) == (303, 303)
    assert still_in == 303  # sent away from /me: signed out
    assert await anna_sessions(w) == 0
    assert await open_link(token) is None


async def test_renewing_while_the_link_opens_leaves_one_working_link(client, app, monkeypatch):
    w = await make_world()
    token = await create_invite(w.anna.id, created_by=None)
    barrier = hold_the_open_link(monkeypatch)
    wait_then(monkeypatch, barrier, "create_invite")
    opened, renewed, _still_in = await race(
        app, w, token, f"/participants/{w.anna.id}/invite", {"renew": "1"})
    assert (opened, renewed) == (303, 200)
    assert await open_link(token) is None
    assert await count_open_invites(w.anna.id) == 1


async def test_opens_racing_cancels_never_leave_a_session_behind(settings):
    """Many rounds of open and cancel at once, in either order: no session may outlive them."""
    w = await make_world()
    for _round in range(15):
        token = await create_invite(w.anna.id, created_by=None)
        results = await asyncio.gather(
            sign_in_with_link(settings, token), invites.revoke_invites(w.anna.id),
            return_exceptions=True,
        )
        assert not any(isinstance(result, BaseException) for result in results), results
        assert await anna_sessions(w) == 0
        assert await open_link(token) is None
