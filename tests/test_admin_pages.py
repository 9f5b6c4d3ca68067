"""Admin pages: users, passwords, disabling, groups and coaches. Admins only, all audited."""

from __future__ import annotations

import re

from coach.accounts.tables import User
from coach.audit.tables import AuditEvent
from coach.auth.sessions import SESSION_COOKIE
from coach.auth.tables import Invite, WebSession
from coach.groups.tables import CoachingGroup, GroupCoach
from tests.auth_helpers import login_as, login_participant, set_cookie, sign_in_directly
from tests.factories import make_group, make_participant, make_user


def shown_password(html: str) -> str:
    match = re.search(r'id="temporary-password"[^>]*value="([^"]+)"', html)
    assert match, "the page shows no temporary password"
    return match.group(1)


async def test_admin_creates_a_user_who_must_change_the_password(client, app):
    from litestar.testing import AsyncTestClient

    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/users", data={
        "username": "ville", "display_name": "Ville", "role": "coach",
    })
    assert response.status_code == 200, response.text
    password = shown_password(response.text)
    ville = await User.objects().where(User.username == "ville").first()
    assert ville.role == "coach" and ville.must_change_password
    assert await AuditEvent.exists().where(
        (AuditEvent.action == "user.create") & (AuditEvent.actor_user_id == admin.id)
    )
    async with AsyncTestClient(app=app) as other:
        await login_as(other, ville, password)
        page = await other.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/password"
        changed = await other.post("/password", data={
            "current_password": password, "new_password": "a brand new long passphrase",
            "new_password_again": "a brand new long passphrase",
        }, follow_redirects=False)
        assert changed.status_code == 303
        assert not (await User.objects().where(User.id == ville.id).first()).must_change_password
        assert (await other.get("/password")).status_code == 200


async def test_new_user_form_shows_errors_next_to_the_fields(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/users", data={"username": "has space", "role": "x"})
    assert response.status_code == 422
    assert 'id="username-error"' in response.text and 'id="role-error"' in response.text
    assert await User.count() == 1


async def test_taken_username_is_refused(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/users", data={"username": "boss", "role": "coach"})
    assert response.status_code == 422
    assert await User.count() == 1


async def test_reset_password_ends_sessions_and_forces_a_change(client, app):
    from litestar.testing import AsyncTestClient

    admin = await make_user("boss", role="admin")
    coach = await make_user("ville")
    async with AsyncTestClient(app=app) as coach_client:
        await sign_in_directly(coach_client, user=coach)
        await sign_in_directly(client, user=admin)
        response = await client.post(f"/admin/users/{coach.id}/reset-password")
        assert response.status_code == 200
        password = shown_password(response.text)
        assert await WebSession.count().where(WebSession.user == coach.id) == 0
        gone = await coach_client.get("/password", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        await login_as(coach_client, coach, password)
        forced = await coach_client.get("/", follow_redirects=False)
        assert forced.headers["location"] == "/password"
    assert await AuditEvent.exists().where(AuditEvent.action == "user.password_reset")


async def test_disabling_a_user_ends_their_session_at_once(client, app):
    from litestar.testing import AsyncTestClient

    admin = await make_user("boss", role="admin")
    coach = await make_user("ville")
    async with AsyncTestClient(app=app) as coach_client:
        await login_as(coach_client, coach)
        old_cookie = coach_client.cookies.get(SESSION_COOKIE)
        await sign_in_directly(client, user=admin)
        response = await client.post(f"/admin/users/{coach.id}/disable", follow_redirects=False)
        assert response.status_code == 303
        assert await WebSession.count().where(WebSession.user == coach.id) == 0
        set_cookie(coach_client, SESSION_COOKIE, old_cookie)
        refused = await coach_client.get("/password", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        page = await coach_client.get("/login")
        again = await coach_client.post("/login", data={
            "username": "ville", "password": "correct horse battery staple 42",
            "_csrf_token": coach_client.cookies.get("csrftoken"),
        })
        assert again.status_code == 422 and page.status_code == 200
    assert await AuditEvent.exists().where(AuditEvent.action == "user.disable")


async def test_admin_cannot_disable_themselves(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    await client.post(f"/admin/users/{admin.id}/disable")
    assert (await User.objects().where(User.id == admin.id).first()).is_active


async def test_enable_lets_a_user_sign_in_again(client):
    admin = await make_user("boss", role="admin")
    coach = await make_user("ville", is_active=False)
    await sign_in_directly(client, user=admin)
    await client.post(f"/admin/users/{coach.id}/enable")
    assert (await User.objects().where(User.id == coach.id).first()).is_active


async def test_users_page_lists_users(client):
    admin = await make_user("boss", role="admin")
    await make_user("ville")
    await sign_in_directly(client, user=admin)
    response = await client.get("/admin/users")
    assert response.status_code == 200
    assert "ville" in response.text and "boss" in response.text


async def test_admin_creates_a_group_and_assigns_a_coach(client):
    admin = await make_user("boss", role="admin")
    coach = await make_user("ville")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/groups", data={
        "name": "Ryhmä C", "starts_on": "2026-01-05", "ends_on": "2026-12-18",
        "usual_duration_minutes": "90", "assessment_interval_weeks": "4",
    }, follow_redirects=False)
    assert response.status_code == 303
    group = await CoachingGroup.objects().where(CoachingGroup.name == "Ryhmä C").first()
    assert response.headers["location"] == f"/admin/groups/{group.id}"
    page = await client.get(f"/admin/groups/{group.id}")
    assert "ville" in page.text
    await client.post(f"/admin/groups/{group.id}/coaches", data={"coach_id": str(coach.id)})
    assert await GroupCoach.exists().where(
        (GroupCoach.group == group.id) & (GroupCoach.coach == coach.id)
    )
    await client.post(f"/admin/groups/{group.id}/coaches/{coach.id}/remove")
    assert not await GroupCoach.exists().where(GroupCoach.group == group.id)
    actions = {row["action"] for row in await AuditEvent.select(AuditEvent.action)}
    assert {"group.create", "group.coach_add", "group.coach_remove"} <= actions


async def test_only_active_coaches_can_be_assigned(client):
    admin = await make_user("boss", role="admin")
    evaluator = await make_user("eeva", role="evaluator")
    group = await make_group()
    await sign_in_directly(client, user=admin)
    await client.post(f"/admin/groups/{group.id}/coaches", data={"coach_id": str(evaluator.id)})
    await client.post(f"/admin/groups/{group.id}/coaches", data={"coach_id": "nonsense"})
    assert await GroupCoach.count() == 0


async def test_group_form_refuses_an_end_before_the_start(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/groups", data={
        "name": "X", "starts_on": "2026-05-01", "ends_on": "2026-04-01",
    })
    assert response.status_code == 422 and 'id="ends_on-error"' in response.text
    assert await CoachingGroup.count() == 0


async def test_closing_a_group_ends_participant_sessions_and_links(client, app):
    from litestar.testing import AsyncTestClient

    from coach.auth.invites import create_invite

    admin = await make_user("boss", role="admin")
    group = await make_group()
    person = await make_participant(group)
    other = await make_participant(await make_group(name="Other"), display_name="Other")
    async with AsyncTestClient(app=app) as other_phone:
        await login_participant(other_phone, other)
    # Made after the sign-in above: a new personal link replaces the older one.
    other_link = await create_invite(other.id, created_by=None)
    async with AsyncTestClient(app=app) as phone:
        await login_participant(phone, person)
        spare = await create_invite(person.id, created_by=None)
        await sign_in_directly(client, user=admin)
        response = await client.post(f"/admin/groups/{group.id}/close", follow_redirects=False)
        assert response.status_code == 303
        assert await WebSession.count().where(WebSession.participant == person.id) == 0
        unused = Invite.revoked_at.is_null() & Invite.used_at.is_null()
        assert await Invite.count().where(unused & (Invite.participant == person.id)) == 0
        assert (await phone.get(f"/i/{spare}")).status_code == 404
    # Another group's people keep their links and sessions.
    assert await WebSession.count().where(WebSession.participant == other.id) == 1
    assert await Invite.count().where(unused & (Invite.participant == other.id)) == 1
    assert other_link
    assert (await CoachingGroup.objects().get(CoachingGroup.id == group.id)).closed_at is not None
