"""Invite links and "fill in together": participants sign in without a password."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from litestar.testing import AsyncTestClient

from coach.assessments.schedule import last_day_to_answer
from coach.assessments.tables import Assessment  # noqa: F401  (tables bound for the app)
from coach.audit.tables import AuditEvent
from coach.auth.invites import create_invite, invite_url, last_day, plausible
from coach.auth.sessions import SESSION_COOKIE, hash_token
from coach.auth.tables import Invite, WebSession
from tests.auth_helpers import (
    csrf_token,
    login_as,
    login_participant,
    open_link,
    sign_in_directly,
)
from tests.factories import make_group, make_participant, make_user


async def _world():
    coach = await make_user("ville")
    group = await make_group(coaches=[coach])
    person = await make_participant(group)
    return coach, group, person


async def test_invite_token_is_long_and_stored_only_as_a_hash():
    _coach, group, person = await _world()
    token = await create_invite(person.id, created_by=None)
    assert len(token) >= 43  # 32 random bytes
    row = await Invite.objects().first()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    # Issue 11 point 4 changed the lifetime from 14 days to the end of the follow-up.
    assert last_day(row.expires_at) == last_day_to_answer(group.starts_on, group.ends_on)
    assert row.expires_at.date() > group.ends_on + dt.timedelta(days=180)


async def test_coach_creates_an_invite_with_link_and_qr_code(client):
    coach, _group, person = await _world()
    await sign_in_directly(client, user=coach)
    response = await client.post(f"/participants/{person.id}/invite")
    assert response.status_code == 200
    assert "<svg" in response.text and "http://testserver.local/i/" in response.text
    assert await Invite.count() == 1
    assert await AuditEvent.exists().where(AuditEvent.action == "invite.create")


async def test_invite_link_uses_the_configured_base_url(settings):
    import dataclasses

    from coach.app import create_app

    coach, _group, person = await _world()
    app = create_app(dataclasses.replace(settings, base_url="https://coach.example.fi"))
    async with AsyncTestClient(app=app) as client:
        await sign_in_directly(client, user=coach)
        response = await client.post(f"/participants/{person.id}/invite")
    assert 'value="https://coach.example.fi/i/' in response.text


def test_base_url_setting_is_checked(monkeypatch):
    import pytest

    from coach.settings import SettingsError, load_settings

    monkeypatch.setenv("COACH_BASE_URL", "https://coach.example.fi/")
    assert load_settings().base_url == "https://coach.example.fi"
    monkeypatch.setenv("COACH_BASE_URL", "coach.example.fi")
    with pytest.raises(SettingsError, match="COACH_BASE_URL"):
        load_settings()
    monkeypatch.delenv("COACH_BASE_URL")
    assert load_settings().base_url is None


async def test_coach_of_another_group_cannot_invite(client):
    _coach, _group, person = await _world()
    other = await make_user("olli")
    await make_group("Ryhmä B", coaches=[other])
    await sign_in_directly(client, user=other)
    response = await client.post(f"/participants/{person.id}/invite")
    assert response.status_code == 404
    assert await Invite.count() == 0


async def test_invite_link_signs_in_with_a_tap_and_works_again_until_renewed(client, app):
    # Issue 11 point 4 changed this: the link was usable once, now it is the participant's
    # way back until the coach makes a new one (tests/test_personal_link.py has the rest).
    coach, _group, person = await _world()
    token = await create_invite(person.id, created_by=None)
    opened = await client.get(f"/i/{token}")
    assert opened.status_code == 200
    # Opening the page does not use the link (message apps preview links).
    assert (await Invite.objects().first()).used_at is None
    assert await WebSession.count() == 0
    used = await client.post(
        f"/i/{token}", data={"_csrf_token": csrf_token(client)}, follow_redirects=False
    )
    assert used.status_code == 303
    session = await WebSession.objects().first()
    assert session.participant == person.id and session.user is None
    assert client.cookies.get(SESSION_COOKIE)
    async with AsyncTestClient(app=app) as second_device:
        assert (await second_device.get(f"/i/{token}")).status_code == 200
        again = await second_device.post(
            f"/i/{token}", data={"_csrf_token": csrf_token(second_device)},
            follow_redirects=False,
        )
        assert again.status_code == 303 and second_device.cookies.get(SESSION_COOKIE)
    await create_invite(person.id, created_by=coach.id)  # renewed: the old link stops
    async with AsyncTestClient(app=app) as third_device:
        assert (await third_device.get(f"/i/{token}")).status_code == 404
        late = await third_device.post(
            f"/i/{token}", data={"_csrf_token": csrf_token(third_device)}
        )
        assert late.status_code == 404
        assert third_device.cookies.get(SESSION_COOKIE) is None
    assert await WebSession.count() == 2
    assert len(await AuditEvent.select().where(AuditEvent.action == "invite.use")) == 2
    assert await AuditEvent.exists().where(AuditEvent.action == "invite.failure")


async def test_a_renewed_link_cannot_be_used():
    _coach, _group, person = await _world()
    token = await create_invite(person.id, created_by=None)
    assert await open_link(token) == person.id
    assert await open_link(token) == person.id  # used again: a personal link
    await create_invite(person.id, created_by=None)
    assert await open_link(token) is None


async def test_expired_and_revoked_invites_do_not_work(client):
    coach, _group, person = await _world()
    expired = await create_invite(person.id, created_by=None)
    await Invite.update({Invite.expires_at: dt.datetime.now(dt.UTC)}).where(
        Invite.token_hash == hash_token(expired)
    )
    assert (await client.get(f"/i/{expired}")).status_code == 404
    revoked = await create_invite(person.id, created_by=None)
    await sign_in_directly(client, user=coach)
    response = await client.post(f"/participants/{person.id}/invite/revoke",
                                 data={"confirm": "1"}, follow_redirects=False)
    assert response.status_code == 303
    assert await open_link(revoked) is None


async def test_revoking_signs_the_participant_out_everywhere(client, app):
    coach, _group, person = await _world()
    async with AsyncTestClient(app=app) as phone:
        await login_participant(phone, person)
        assert await WebSession.count().where(WebSession.participant == person.id) == 1
        await sign_in_directly(client, user=coach)
        await client.post(f"/participants/{person.id}/invite/revoke", data={"confirm": "1"})
        assert await WebSession.count().where(WebSession.participant == person.id) == 0


async def test_participant_session_reaches_no_staff_page(client):
    _coach, group, person = await _world()
    await login_participant(client, person)
    assert (await client.get("/password")).status_code == 403
    assert (await client.get(f"/groups/{group.id}")).status_code == 403
    assert (await client.get("/admin/users")).status_code == 403


async def test_invalid_invite_tokens_are_throttled_per_address(client):
    for attempt in range(20):
        response = await client.get(f"/i/{'x' * 40}{attempt:03d}")
        assert response.status_code == 404
    blocked = await client.get(f"/i/{'y' * 43}")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert await AuditEvent.exists().where(AuditEvent.action == "invite.throttled")


def test_junk_tokens_are_refused_before_the_database():
    assert not plausible("short")
    assert not plausible("a" * 30 + "/../" + "b" * 10)
    assert plausible("A-b_" * 11)


async def test_no_invite_for_a_closed_group(client):
    coach, group, person = await _world()
    from coach.groups.tables import CoachingGroup

    await CoachingGroup.update({CoachingGroup.closed_at: dt.datetime.now(dt.UTC)}).where(
        CoachingGroup.id == group.id
    )
    await sign_in_directly(client, user=coach)
    response = await client.post(f"/participants/{person.id}/invite")
    assert response.status_code == 409
    assert await Invite.count() == 0


async def test_cli_prints_a_working_invite_link(settings):
    _coach, _group, person = await _world()
    environment = dict(os.environ, COACH_BASE_URL="https://coach.example.fi/")
    result = subprocess.run(  # noqa: ASYNC221 (a short command in a test)
        [sys.executable, "-m", "coach.cli", "invite", str(person.id)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://coach.example.fi/i/")
    token = link.rsplit("/", 1)[1]
    assert await open_link(token) == person.id
    assert invite_url("https://x/", "t") == "https://x/i/t"


# --- Fill in together ----------------------------------------------------------------------


async def test_together_mode_shows_nothing_of_the_coachs_and_ends_with_the_password(client):
    coach, group, person = await _world()
    await login_as(client, coach)
    before = client.cookies.get(SESSION_COOKIE)
    started = await client.post(f"/participants/{person.id}/together", follow_redirects=False)
    assert started.status_code == 303
    assert client.cookies.get(SESSION_COOKIE) != before  # a new id for the handed-over phone
    # While the participant holds the phone, the coach's pages are out of reach.
    assert (await client.get(f"/groups/{group.id}")).status_code == 403
    assert (await client.get(f"/participants/{person.id}")).status_code == 403
    assert (await client.get("/password")).status_code == 403
    page = await client.get("/together/end")
    assert page.status_code == 200 and "ville" not in page.text
    wrong = await client.post("/together/end", data={"password": "not the password at all"})
    assert wrong.status_code == 422
    back = await client.post(
        "/together/end",
        data={"password": "correct horse battery staple 42"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert (await client.get(f"/groups/{group.id}")).status_code == 200
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action)]
    assert "together.start" in actions and "together.end" in actions


async def test_together_mode_ends_the_session_after_too_many_wrong_passwords(client):
    coach, _group, person = await _world()
    await sign_in_directly(client, user=coach, together_with=person)
    for _attempt in range(4):
        response = await client.post("/together/end", data={"password": "guess guess guess"})
        assert response.status_code == 422
    final = await client.post(
        "/together/end", data={"password": "guess guess guess"}, follow_redirects=False
    )
    assert final.status_code == 303 and final.headers["location"] == "/login"
    assert await WebSession.count() == 0


async def test_coach_cannot_start_together_mode_for_another_groups_participant(client):
    _coach, _group, person = await _world()
    other = await make_user("olli")
    await sign_in_directly(client, user=other)
    response = await client.post(f"/participants/{person.id}/together")
    assert response.status_code == 404


async def test_together_end_is_only_for_together_sessions(client):
    coach, _group, person = await _world()
    await sign_in_directly(client, user=coach)
    assert (await client.get("/together/end")).status_code == 403
    assert person.id
