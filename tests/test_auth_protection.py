"""Protection on every request: CSRF, sign-in throttling, oversized bodies, error pages."""

from __future__ import annotations

from coach.accounts.tables import User
from coach.audit.tables import AuditEvent
from coach.auth.protection import CSRF_HEADER
from coach.auth.tables import ThrottleEvent, WebSession
from coach.groups.tables import CoachingGroup
from tests.auth_helpers import csrf_token, login_as, sign_in_directly
from tests.factories import DEFAULT_PASSWORD, make_user


async def _attempt(client, username: str, password: str):
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "_csrf_token": csrf_token(client),
        },
        follow_redirects=False,
    )


async def test_post_without_csrf_token_gets_403_and_writes_nothing(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    del client.headers[CSRF_HEADER]
    response = await client.post(
        "/admin/groups",
        data={
            "name": "Sneaky",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-01",
        },
    )
    assert response.status_code == 403
    assert await CoachingGroup.count() == 0


async def test_post_with_a_forged_csrf_token_gets_403(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    client.headers[CSRF_HEADER] = "0" * 128
    response = await client.post(f"/admin/users/{admin.id}/reset-password")
    assert response.status_code == 403
    assert not (await User.objects().first()).must_change_password


async def test_csrf_token_in_the_form_is_accepted(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    token = client.headers.pop(CSRF_HEADER)
    response = await client.post(
        "/admin/groups",
        data={
            "name": "Fine",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-01",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await CoachingGroup.count() == 1


async def test_pages_carry_the_csrf_token_for_htmx_and_forms(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    page = await client.get("/admin/users")
    token = client.cookies.get("csrftoken")
    assert f'"X-CSRFToken": "{token}"' in page.text  # hx-headers on <body>
    assert f'name="_csrf_token" value="{token}"' in page.text


async def test_sixth_bad_password_for_a_username_gets_429(client):
    await make_user("anna")
    await client.get("/login")
    for _attempt_number in range(5):
        response = await _attempt(client, "anna", "wrong password, sorry")
        assert response.status_code == 422
    sixth = await _attempt(client, "anna", DEFAULT_PASSWORD)  # even the right one now
    assert sixth.status_code == 429
    assert 0 < int(sixth.headers["retry-after"]) <= 15 * 60
    assert await WebSession.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action == "login.failure") == 5
    assert await AuditEvent.exists().where(AuditEvent.action == "login.throttled")


async def test_throttling_one_username_leaves_others_alone(client):
    anna = await make_user("anna")
    await client.get("/login")
    for _attempt_number in range(6):
        await _attempt(client, "mallory", "guess guess guess")
    await login_as(client, anna)


async def test_twenty_failures_from_one_address_block_it(client):
    await make_user("anna")
    await client.get("/login")
    for number in range(20):
        response = await _attempt(client, f"user{number}", "guess guess guess")
        assert response.status_code == 422
    response = await _attempt(client, "anna", DEFAULT_PASSWORD)
    assert response.status_code == 429


async def test_old_failures_do_not_count(client):
    import datetime as dt

    await make_user("anna")
    await client.get("/login")
    for _attempt_number in range(5):
        await _attempt(client, "anna", "wrong password, sorry")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    await ThrottleEvent.update({ThrottleEvent.occurred_at: long_ago}).where(ThrottleEvent.id > 0)
    response = await _attempt(client, "anna", DEFAULT_PASSWORD)
    assert response.status_code == 303


async def test_success_clears_the_usernames_failures(client):
    anna = await make_user("anna")
    await client.get("/login")
    for _attempt_number in range(4):
        await _attempt(client, "anna", "wrong password, sorry")
    await login_as(client, anna)
    for _attempt_number in range(4):
        assert (await _attempt(client, "anna", "wrong password, sorry")).status_code == 422


async def test_oversized_body_gets_413(client, settings):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    big = "x" * (settings.max_body_bytes + 10)
    response = await client.post(
        "/admin/groups", data={"name": big}, headers={"accept": "text/html"}
    )
    assert response.status_code == 413
    assert await CoachingGroup.count() == 0


async def test_error_pages_speak_the_users_language_without_internals(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.get(
        "/admin/groups/999999", headers={"accept": "text/html", "accept-language": "sv"}
    )
    assert response.status_code == 404
    assert '<html lang="sv">' in response.text
    assert "Traceback" not in response.text and "NotFoundException" not in response.text


async def test_forbidden_page_is_a_plain_403_page(client):
    coach = await make_user("ville")
    await sign_in_directly(client, user=coach)
    response = await client.get("/admin/users", headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "<h1>" in response.text and "PermissionDenied" not in response.text


async def test_wrong_method_gets_405(client):
    coach = await make_user("ville")
    await sign_in_directly(client, user=coach)
    assert (await client.delete("/login")).status_code in (403, 405)
    assert (
        await client.put("/logout", headers={CSRF_HEADER: csrf_token(client)})
    ).status_code == 405
