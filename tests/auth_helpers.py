"""Signing in from tests: through the real /login form, or directly for speed."""

from __future__ import annotations

from litestar.middleware.csrf import generate_csrf_token
from litestar.testing import AsyncTestClient

from coach.accounts.tables import User
from coach.auth.protection import CSRF_COOKIE, CSRF_HEADER, csrf_config
from coach.auth.sessions import SESSION_COOKIE, create_session
from coach.participants.tables import Participant
from tests.factories import DEFAULT_PASSWORD

__all__ = [
    "DEFAULT_PASSWORD",
    "csrf_headers",
    "csrf_token",
    "login_as",
    "login_participant",
    "open_link",
    "set_cookie",
    "sign_in_directly",
]


def set_cookie(client: AsyncTestClient, name: str, value: str) -> None:
    """Replace a cookie, whichever domain the server set it for."""
    for cookie in list(client.cookies.jar):
        if cookie.name == name:
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    client.cookies.set(name, value, domain=client.base_url.host)


def _settings(client: AsyncTestClient):
    return client.app.state["settings"]


def csrf_token(client: AsyncTestClient) -> str:
    """Return the client's CSRF token, giving it one (cookie and header) if it has none."""
    token = client.cookies.get(CSRF_COOKIE)
    if not token:
        token = generate_csrf_token(csrf_config(_settings(client)).secret)
        set_cookie(client, CSRF_COOKIE, token)
    client.headers[CSRF_HEADER] = token
    return token


def csrf_headers(client: AsyncTestClient) -> dict[str, str]:
    """Return headers that pass the CSRF check for this client's cookie."""
    return {CSRF_HEADER: csrf_token(client)}


async def login_as(client: AsyncTestClient, user: User, password: str = DEFAULT_PASSWORD):
    """Sign a staff user in through /login; later unsafe requests carry the CSRF header."""
    page = await client.get("/login")
    assert page.status_code == 200, page.text
    token = client.cookies.get(CSRF_COOKIE)
    response = await client.post(
        "/login",
        data={"username": user.username, "password": password, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"sign-in failed: {response.status_code}"
    assert client.cookies.get(SESSION_COOKIE)
    client.headers[CSRF_HEADER] = token
    return response


async def sign_in_directly(
    client: AsyncTestClient,
    *,
    user: User | None = None,
    participant: Participant | None = None,
    together_with: Participant | None = None,
) -> int:
    """Give the client a session without the sign-in form (fast); return the session id.

    user: a staff session; participant: an invite session; user and together_with:
    the user's phone in "fill in together" mode for that participant.
    """
    data = {"together": together_with.id} if together_with is not None else None
    raw, session_id = await create_session(
        _settings(client),
        user_id=user.id if user is not None else None,
        participant_id=participant.id if participant is not None else None,
        data=data,
    )
    set_cookie(client, SESSION_COOKIE, raw)
    csrf_token(client)
    return session_id


async def login_participant(client: AsyncTestClient, participant: Participant):
    """Sign a participant in the way they do: by opening a fresh invite link."""
    from coach.auth.invites import create_invite

    token = await create_invite(participant.id, created_by=None)
    page = await client.get(f"/i/{token}")
    assert page.status_code == 200, page.text
    response = await client.post(
        f"/i/{token}", data={"_csrf_token": client.cookies.get(CSRF_COOKIE)},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"invite sign-in failed: {response.status_code}"
    client.headers[CSRF_HEADER] = client.cookies.get(CSRF_COOKIE)
    return response


async def open_link(token: str) -> int | None:
    """Use a personal link as its button does; return whom it signed in, or None if nobody.

    The welcome page (find_usable) and the button (sign_in_with_link) must agree.
    """
    from coach.auth.invites import find_usable, sign_in_with_link
    from coach.settings import load_settings

    shown = await find_usable(token)
    signed = await sign_in_with_link(load_settings(), token)
    used = signed[0] if signed else None
    assert shown == used, f"the page says {shown}, the button {used}"
    return used
