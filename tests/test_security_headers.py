"""Security headers on every response; no-store on everything that may hold personal data."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from coach.app import create_app
from coach.auth.protection import CONTENT_SECURITY_POLICY
from tests.auth_helpers import sign_in_directly
from tests.factories import make_group, make_participant, make_user


def assert_protective_headers(headers) -> None:
    csp = headers["content-security-policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script_src
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]


async def test_page_with_personal_data_has_every_header(client):
    coach = await make_user("ville")
    group = await make_group(coaches=[coach])
    person = await make_participant(group, display_name="Aino")
    await sign_in_directly(client, user=coach)
    response = await client.get(f"/participants/{person.id}")
    assert response.status_code == 200 and "Aino" in response.text
    assert_protective_headers(response.headers)
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # development: plain http


async def test_error_pages_and_redirects_have_the_headers_too(client):
    for response in (
        await client.get("/no-such-page"),
        await client.get("/admin/users", follow_redirects=False),
    ):
        assert_protective_headers(response.headers)
        assert response.headers["cache-control"] == "no-store"


async def test_static_files_may_be_cached(client):
    response = await client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers.get("cache-control") != "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_versioned_static_files_are_kept_a_year_and_others_checked_each_time(client):
    """Pages link static files with their version, so a repeat visit fetches none of them."""
    from coach.ui import static_url

    versioned = await client.get(static_url("app.js"))
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = await client.get("/static/app.js")
    assert plain.headers["cache-control"] == "no-cache"
    page = (await client.get("/login")).text
    assert static_url("app.js") in page and static_url("app.css") in page


async def test_no_page_uses_inline_script(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    for path in ("/login", "/admin/users", "/admin/groups", "/admin/audit"):
        html = (await client.get(path)).text
        assert "<script>" not in html and " onclick=" not in html, path
        assert "<script src=" in html or "<script" not in html, path


async def test_production_adds_hsts_and_secure_cookies(settings):
    production = dataclasses.replace(settings, env="production")
    app = create_app(production)
    async with AsyncTestClient(app=app) as client:
        user = await make_user("anna")
        response = await client.get("/login")
        assert "max-age=" in response.headers["strict-transport-security"]
        assert "secure" in response.headers["set-cookie"].lower()  # the CSRF cookie
        await sign_in_directly(client, user=user)
        assert response.status_code == 200
    from coach.auth.sessions import session_cookie

    cookie = session_cookie(production, "x")
    assert cookie.secure and cookie.httponly and cookie.samesite == "lax"


# --- files a page loads: only the headers that act on them ---

PAGE_ONLY = ("content-security-policy", "x-frame-options", "permissions-policy",
             "cross-origin-opener-policy", "referrer-policy")


async def test_a_static_file_gets_only_the_headers_that_act_on_a_file(client):
    """CSP, framing, permissions, opener and referrer policies act on pages, not on files."""
    from coach.ui import static_url

    response = await client.get(static_url("offline-queue.js"), headers={"accept-encoding": "br"})
    assert response.status_code == 200
    assert set(response.headers) == {"content-type", "content-length", "content-encoding", "vary",
                                     "x-content-type-options", "cache-control"}
    assert response.headers["x-content-type-options"] == "nosniff"
    # A first request without a CSRF cookie: a page sets one, a file that caches keep never.
    page = await client.get("/login")
    assert "set-cookie" in page.headers and "csrftoken=" in page.headers["set-cookie"]
    assert "set-cookie" not in response.headers


async def test_an_svg_opened_as_a_document_may_load_and_run_nothing(client):
    from coach.ui import static_url

    response = await client.get(static_url("icons/icon.svg"))
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"] == "default-src 'none'"
    assert "x-frame-options" not in response.headers


async def test_the_manifest_is_a_file_and_the_service_worker_keeps_what_governs_a_worker(client):
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.headers["x-content-type-options"] == "nosniff"
    assert not any(name in manifest.headers for name in PAGE_ONLY)
    worker = await client.get("/sw.js")
    assert worker.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert worker.headers["referrer-policy"] == "same-origin"
    assert worker.headers["x-content-type-options"] == "nosniff"
    for name in ("x-frame-options", "permissions-policy", "cross-origin-opener-policy"):
        assert name not in worker.headers, name


async def test_not_found_under_static_is_a_page_that_no_cache_keeps(client):
    response = await client.get("/static/no-such-file.js?v=0123456789")
    assert response.status_code == 404
    assert_protective_headers(response.headers)
    assert response.headers["cache-control"] == "no-store"


async def test_production_sends_hsts_on_files_and_the_worker_too(settings):
    from coach.ui import static_url

    production = dataclasses.replace(settings, env="production")
    async with AsyncTestClient(app=create_app(production)) as client:
        for url in (static_url("app.css"), "/sw.js", "/manifest.webmanifest", "/login"):
            response = await client.get(url)
            assert "max-age=" in response.headers["strict-transport-security"], url
