"""Pages are compressed only for requests the site's own pages made (Sec-Fetch-Site)."""

from __future__ import annotations

import pytest

from coach.page_compression import page_compression_middleware
from tests.auth_helpers import login_as
from tests.factories import make_group, make_participant, make_user
from tests.test_static_files import BROWSER, decoded, raw_get


async def signed_in_coach_with_a_group(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Ryhmä A", coaches=[coach])
    for number in range(8):
        await make_participant(group, display_name=f"Osallistuja {number}")
    await login_as(client, coach)
    return f"/groups/{group.id}/meetings/new"


@pytest.mark.parametrize(("site", "accept", "coding"), [
    ("same-origin", BROWSER, "br"),  # a link, a form or htmx on our own pages
    ("none", BROWSER, "br"),  # typed, a bookmark, the home-screen icon
    ("same-origin", "gzip, deflate", "gzip"),
    ("same-origin", "br;q=0, gzip", "gzip"),
    ("same-origin", "identity", None),
    ("same-origin", None, None),
    ("cross-site", BROWSER, None),  # another site's page: BREACH's way in
    ("same-site", BROWSER, None),  # a sibling subdomain is another site's page too
    (None, BROWSER, None),  # a client that does not say where it comes from
])
async def test_a_page_is_compressed_only_for_the_sites_own_requests(client, site, accept, coding):
    url = await signed_in_coach_with_a_group(client)
    headers = {"sec-fetch-site": site} if site else {}
    response, body = await raw_get(client, url, accept, **headers)
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert int(response.headers["content-length"]) == len(body)
    page = decoded(body, coding)
    assert b"Osallistuja 7" in page and page.rstrip().endswith(b"</html>")
    if coding:
        assert len(body) < len(page) / 2
        assert "Accept-Encoding" in response.headers["vary"]
    plain, plain_body = await raw_get(client, url, None)
    assert plain.headers.get("content-encoding") is None
    # The same page but for its two fresh random values (CSRF mask, submission key).
    assert abs(len(plain_body) - len(page)) < 64


async def test_a_page_keeps_its_security_headers_when_compressed(client):
    url = await signed_in_coach_with_a_group(client)
    response, _ = await raw_get(client, url, BROWSER, **{"sec-fetch-site": "same-origin"})
    assert response.headers["content-encoding"] == "br"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_only_html_is_compressed_here(client):
    await signed_in_coach_with_a_group(client)
    own_json = {"sec-fetch-site": "same-origin", "accept": "application/json"}
    response, body = await raw_get(client, "/offline/session", BROWSER, **own_json)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("content-encoding") is None
    assert body.startswith(b"{")


async def test_a_head_request_gets_no_compressed_headers(client):
    url = await signed_in_coach_with_a_group(client)
    response = await client.head(url, headers={"sec-fetch-site": "same-origin",
                                               "accept-encoding": BROWSER})
    assert response.headers.get("content-encoding") is None


async def run(scope_headers, messages):
    """Drive the middleware around an app that sends the given messages; return what it sent."""
    sent = []

    async def inner(scope, receive, send):
        for message in messages:
            await send(message)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": scope_headers}
    await page_compression_middleware(inner)(scope, None, send)
    return sent


OWN = [(b"sec-fetch-site", b"same-origin"), (b"accept-encoding", b"br")]
def html_start() -> dict:
    """A fresh start message: the middleware edits the headers of one it compresses."""
    return {"type": "http.response.start", "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8")]}


async def test_a_streamed_page_is_sent_as_it_comes():
    chunks = [{"type": "http.response.body", "body": b"<p>" * 500, "more_body": True},
              {"type": "http.response.body", "body": b"</p>", "more_body": False}]
    sent = await run(OWN, [html_start(), *chunks])
    assert sent == [html_start(), *chunks]


async def test_a_tiny_page_is_not_worth_compressing():
    body = {"type": "http.response.body", "body": b"<p>hi</p>", "more_body": False}
    sent = await run(OWN, [html_start(), body])
    assert sent == [html_start(), body]


async def test_a_body_over_the_held_limit_is_sent_as_it_is(monkeypatch):
    monkeypatch.setattr("coach.page_compression.MAX_HELD", 1000)  # 1,200 bytes over, 900 under
    body = {"type": "http.response.body", "body": b"<p>" * 400, "more_body": False}  # 1,200
    sent = await run(OWN, [html_start(), body])
    assert sent == [html_start(), body]
    small = {"type": "http.response.body", "body": b"<p>" * 300, "more_body": False}  # 900
    [start, packed] = await run(OWN, [html_start(), small])
    assert (b"content-encoding", b"br") in start["headers"]
    assert len(packed["body"]) < 100


async def test_an_unknown_sec_fetch_site_gets_the_page_as_it_is():
    body = {"type": "http.response.body", "body": b"<p>" * 300, "more_body": False}
    for site in (b"cross-site", b"SAME-ORIGIN", b"", b"same-origin, none"):
        headers = [(b"sec-fetch-site", site), (b"accept-encoding", b"br")]
        assert await run(headers, [html_start(), body]) == [html_start(), body]
