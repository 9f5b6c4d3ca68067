"""Input the database cannot store is refused up front; malformed static paths are 404."""

from __future__ import annotations

import html

import pytest

from coach.audit.tables import AuditEvent
from coach.groups.tables import CoachingGroup
from tests.auth_helpers import DEFAULT_PASSWORD, csrf_token, login_as, sign_in_directly
from tests.factories import make_user

FORM = {"content-type": "application/x-www-form-urlencoded"}
ENGLISH = {"accept-language": "en"}
REFUSED_EN = "It has a character that cannot be saved."
REFUSED_FI = "Siinä on merkki, jota ei voi tallentaa."


def multipart(fields: dict[str, bytes], part_type: str = "") -> tuple[bytes, dict[str, str]]:
    """Return a multipart/form-data body and its header; part_type adds a Content-Type to parts."""
    boundary = "coach-test-boundary"
    body = b""
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        if part_type:
            head += f"Content-Type: {part_type}\r\n"
        body += (head + "\r\n").encode() + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def assert_refused(response, message: str = REFUSED_EN) -> None:
    assert response.status_code == 422, response.text[:300]
    assert message in html.unescape(response.text)
    assert "Traceback" not in response.text


# --- point 8: NUL and other characters PostgreSQL text cannot hold ---

@pytest.mark.parametrize("username", ["maija\x00", "\x00", "ma\x00ija"])
async def test_sign_in_with_a_nul_in_the_username_is_refused_anonymously(client, username):
    await make_user("maija")
    token = csrf_token(client)
    response = await client.post("/login", data={
        "username": username, "password": DEFAULT_PASSWORD, "_csrf_token": token,
    }, headers=ENGLISH, follow_redirects=False)
    assert_refused(response)
    assert await AuditEvent.count() == 0  # the sign-in never ran


async def test_the_refusal_is_in_the_users_language(client):
    token = csrf_token(client)
    response = await client.post("/login", data={
        "username": "a\x00", "password": "x", "_csrf_token": token})
    assert_refused(response, REFUSED_FI)


@pytest.mark.parametrize("body", [
    b"username=maija&password=pass%00word",  # in the password too
    b"user%00name=maija&password=x",  # in a field's name
    b"username=maija\x00&password=x",  # a raw NUL byte, not percent-encoded
    b"username=%ff%fe&password=x",  # not UTF-8
    b"username=%ed%a0%80&password=x",  # a lone surrogate written as UTF-8 bytes
    b"username=%c0%80&password=x",  # an over-long encoding of NUL
])
async def test_unstorable_urlencoded_bodies_are_refused(client, body):
    token = csrf_token(client)
    response = await client.post("/login", content=body + b"&_csrf_token=" + token.encode(),
                                 headers={**FORM, **ENGLISH})
    assert_refused(response)
    assert await AuditEvent.count() == 0


@pytest.mark.parametrize(("fields", "part_type"), [
    ({"username": b"maija\x00", "password": b"x"}, ""),
    ({"username": b"\xff\xfe", "password": b"x"}, ""),
    ({"username": b"maija", "password": b"x"}, "text/plain; charset=no-such-charset"),
])
async def test_unstorable_multipart_bodies_are_refused(client, fields, part_type):
    token = csrf_token(client)
    body, headers = multipart({**fields, "_csrf_token": token.encode()}, part_type)
    response = await client.post("/login", content=body, headers={**headers, **ENGLISH})
    assert_refused(response)
    assert await AuditEvent.count() == 0


@pytest.mark.parametrize("query", ["next=%00", "next=/%00", "x%00=1", "next=%ff", "next=%ed%b0%80"])
async def test_unstorable_query_parameters_are_refused(client, query):
    assert_refused(await client.get(f"/login?{query}", headers=ENGLISH))


async def test_a_staff_search_with_a_nul_is_refused(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    assert_refused(await client.get("/admin/audit?actor=bo%00ss", headers=ENGLISH))
    assert (await client.get("/admin/audit?actor=boss", headers=ENGLISH)).status_code == 200


async def test_a_staff_form_with_a_nul_saves_nothing(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    response = await client.post("/admin/groups", data={
        "name": "Ryhmä\x00A", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
    }, headers=ENGLISH, follow_redirects=False)
    assert_refused(response)
    assert await CoachingGroup.count() == 0


async def test_a_json_client_gets_a_json_refusal(client):
    response = await client.get("/login?next=%00", headers={"accept": "application/json"})
    assert response.status_code == 422
    assert response.json()["status_code"] == 422 and response.json()["detail"]


async def test_ordinary_forms_still_work_after_the_check(client):
    user = await make_user("maija")
    await login_as(client, user)  # urlencoded, read by the check and then by the handler
    await client.post("/logout")
    token = csrf_token(client)
    body, headers = multipart({"username": b"maija", "password": DEFAULT_PASSWORD.encode(),
                               "_csrf_token": token.encode()})
    response = await client.post("/login", content=body, headers=headers,
                                 follow_redirects=False)
    assert response.status_code == 303
    ok = await client.get("/login?next=/groups&lang=%C3%A4", follow_redirects=False)
    assert ok.status_code in (200, 303)


# --- point 9: malformed static paths ---

@pytest.mark.parametrize("path", [
    "/static/app.js%00",
    "/static/%00",
    "/static/a%00b.css",
    "/static/%2e%2e/x",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/..%2fapp.js",
    "/static/app.js/x",
    "/static/" + "a" * 5000,
    "/static/" + "a" * 300 + ".css",
    "/static/" + "a/" * 3000 + "x.css",
    "/static/%ff",
    "/static/vendor",
    "/static/x%0a",
])
async def test_malformed_static_paths_are_not_found(client, path):
    response = await client.get(path, headers=ENGLISH)
    assert response.status_code == 404, path[:60]
    assert "Page not found." in response.text
    assert "Traceback" not in response.text


async def test_static_files_are_still_served(client):
    for path in ("/static/app.css", "/static/app.js", "/static/vendor/htmx/htmx.min.js"):
        assert (await client.get(path)).status_code == 200, path


async def test_a_flash_cookie_with_non_ascii_text_is_ignored_not_a_500(client):
    """Signed values from outside are compared as bytes (coach.same_text)."""
    # A cookie's bytes are read as Latin-1: "é" reached hmac.compare_digest as a str.
    cookie = "flash=\u00e9.\u00e9".encode("latin-1")
    response = await client.get("/login", headers={"cookie": cookie})
    assert response.status_code == 200
