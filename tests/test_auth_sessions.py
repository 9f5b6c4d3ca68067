"""Sessions: sign-in rotates the id, sign-out and disabling end it, lifetimes are enforced."""

from __future__ import annotations

import datetime as dt

from coach.accounts.tables import User
from coach.audit.tables import AuditEvent
from coach.auth.sessions import SESSION_COOKIE, hash_token
from coach.auth.tables import WebSession
from tests.auth_helpers import csrf_headers, login_as, set_cookie, sign_in_directly
from tests.factories import make_group, make_user


async def test_login_page_is_public_and_has_the_named_fields(client):
    response = await client.get("/login")
    assert response.status_code == 200
    assert 'name="username"' in response.text and 'name="password"' in response.text
    assert 'name="_csrf_token"' in response.text


async def test_anonymous_page_request_redirects_to_login(client):
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/password"


async def test_anonymous_json_request_gets_401(client):
    response = await client.get("/password", headers={"accept": "application/json"})
    assert response.status_code == 401


async def test_anonymous_htmx_request_gets_401_with_hx_redirect(client):
    response = await client.get("/password", headers={"hx-request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/login")


async def test_sign_in_sets_an_httponly_lax_cookie_and_stores_only_its_hash(client):
    user = await make_user("anna")
    response = await login_as(client, user)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    raw = client.cookies.get(SESSION_COOKIE)
    stored = await WebSession.select(WebSession.token_hash)
    assert [row["token_hash"] for row in stored] == [hash_token(raw)]
    assert raw not in str(stored)


async def test_session_id_changes_at_sign_in(client):
    user = await make_user("anna")
    await login_as(client, user)
    first = client.cookies.get(SESSION_COOKIE)
    await login_as(client, user)
    second = client.cookies.get(SESSION_COOKIE)
    assert first != second
    # The earlier session was ended, not kept alongside.
    assert await WebSession.count() == 1
    set_cookie(client, SESSION_COOKIE, first)
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303


async def test_sign_in_goes_back_to_the_page_asked_for(client):
    user = await make_user("anna")
    await client.get("/login")
    response = await client.post("/login", data={
        "username": "anna", "password": "correct horse battery staple 42",
        "next": "/password", "_csrf_token": client.cookies.get("csrftoken"),
    }, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/password"
    assert user.id


async def test_sign_in_never_redirects_to_another_site(client):
    await make_user("anna")
    await client.get("/login")
    response = await client.post("/login", data={
        "username": "anna", "password": "correct horse battery staple 42",
        "next": "//evil.example/", "_csrf_token": client.cookies.get("csrftoken"),
    }, follow_redirects=False)
    assert response.status_code == 303
    assert not response.headers["location"].startswith("//")


async def test_old_cookie_is_useless_after_logout(client):
    user = await make_user("anna")
    await login_as(client, user)
    raw = client.cookies.get(SESSION_COOKIE)
    response = await client.post("/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert await WebSession.count() == 0
    set_cookie(client, SESSION_COOKIE, raw)
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert await AuditEvent.exists().where(AuditEvent.action == "logout")


async def test_old_cookie_is_useless_after_the_user_is_disabled(client):
    from httpx import AsyncClient  # noqa: F401  (the admin uses a second client)

    user = await make_user("anna")
    await login_as(client, user)
    assert (await client.get("/password")).status_code == 200
    await User.update({User.is_active: False}).where(User.id == user.id)
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303
    assert await WebSession.count() == 0


async def test_idle_session_ends(client, settings):
    user = await make_user("anna")
    session_id = await sign_in_directly(client, user=user)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=settings.session_idle_minutes + 1)
    await WebSession.update({WebSession.last_seen_at: long_ago}).where(
        WebSession.id == session_id
    )
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303
    assert await WebSession.count() == 0


async def test_session_ends_at_its_absolute_lifetime_even_when_active(client):
    user = await make_user("anna")
    session_id = await sign_in_directly(client, user=user)
    await WebSession.update(
        {WebSession.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}
    ).where(WebSession.id == session_id)
    response = await client.get("/password", follow_redirects=False)
    assert response.status_code == 303


async def test_active_session_is_refreshed(client):
    user = await make_user("anna")
    session_id = await sign_in_directly(client, user=user)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    await WebSession.update({WebSession.last_seen_at: earlier}).where(WebSession.id == session_id)
    assert (await client.get("/password")).status_code == 200
    row = await WebSession.select(WebSession.last_seen_at).first()
    assert row["last_seen_at"] > earlier + dt.timedelta(minutes=29)


async def test_wrong_password_is_refused_and_audited(client):
    await make_user("anna")
    await client.get("/login")
    response = await client.post("/login", data={
        "username": "anna", "password": "wrong password 123",
        "_csrf_token": client.cookies.get("csrftoken"),
    })
    assert response.status_code == 422
    assert client.cookies.get(SESSION_COOKIE) is None
    event = await AuditEvent.objects().where(AuditEvent.action == "login.failure").first()
    assert event is not None and event.detail
    assert "wrong password 123" not in str(event.detail)


async def test_disabled_user_cannot_sign_in(client):
    await make_user("anna", is_active=False)
    await client.get("/login")
    response = await client.post("/login", data={
        "username": "anna", "password": "correct horse battery staple 42",
        "_csrf_token": client.cookies.get("csrftoken"),
    })
    assert response.status_code == 422
    assert await WebSession.count() == 0


async def test_password_is_rehashed_when_parameters_change(client):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    user = await make_user("anna")
    await User.update(
        {User.password_hash: weak.hash("correct horse battery staple 42")}
    ).where(User.id == user.id)
    await login_as(client, user)
    stored = (await User.select(User.password_hash).first())["password_hash"]
    assert "m=8192" not in stored and stored.startswith("$argon2id$")


async def test_sign_in_rejects_a_login_without_csrf_token(client):
    await make_user("anna")
    await make_group()
    response = await client.post("/login", data={
        "username": "anna", "password": "correct horse battery staple 42",
    })
    assert response.status_code == 403
    assert await WebSession.count() == 0
    assert csrf_headers(client)


async def test_sign_in_tidies_away_dead_sessions(client, settings):
    from coach.auth.sessions import create_session

    user = await make_user("anna")
    _raw, old = await create_session(settings, user_id=user.id)  # another, forgotten device
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.session_absolute_days + 1)
    await WebSession.update({WebSession.last_seen_at: long_ago, WebSession.expires_at: long_ago}
                            ).where(WebSession.id == old)
    await login_as(client, user)
    rows = await WebSession.select(WebSession.token_hash)
    assert [row["token_hash"] for row in rows] == [hash_token(client.cookies.get(SESSION_COOKIE))]


async def test_guessing_the_current_password_is_throttled(client):
    user = await make_user("anna")
    await sign_in_directly(client, user=user)
    wrong = {"current_password": "guess guess guess", "new_password": "a new long passphrase",
             "new_password_again": "a new long passphrase"}
    for _attempt in range(5):
        assert (await client.post("/password", data=wrong)).status_code == 422
    blocked = await client.post("/password", data=wrong)
    assert blocked.status_code == 429 and blocked.headers["retry-after"]
    assert await AuditEvent.count().where(AuditEvent.action == "password.failure") == 5


async def test_changing_the_password_ends_other_sessions(client, app):
    from litestar.testing import AsyncTestClient

    user = await make_user("anna")
    async with AsyncTestClient(app=app) as laptop:
        await sign_in_directly(laptop, user=user)
        await sign_in_directly(client, user=user)
        changed = await client.post("/password", data={
            "current_password": "correct horse battery staple 42",
            "new_password": "a new long passphrase", "new_password_again": "a new long passphrase",
        }, follow_redirects=False)
        assert changed.status_code == 303
        assert (await client.get("/password")).status_code == 200
        assert (await laptop.get("/password", follow_redirects=False)).status_code == 303
    assert await WebSession.count() == 1
