"""Chromium takes the compressed static files and pages as they are sent, and shows them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.checks import sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser


async def test_chromium_decodes_and_runs_the_compressed_scripts_and_styles(page):
    sent: dict[str, tuple[str, str | None]] = {}

    async def note(response) -> None:
        path = urlsplit(response.url).path
        if path.startswith("/static/") and path.endswith((".js", ".css")):
            asked = (await response.request.all_headers()).get("accept-encoding", "")
            sent[path] = (asked, (await response.all_headers()).get("content-encoding"))

    page.on("response", note)
    await page.goto("/login")
    await page.wait_for_function("() => window.htmx !== undefined")
    await page.wait_for_load_state("networkidle")
    assert {"/static/app.css", "/static/app.js", "/static/vendor/htmx/htmx.min.js",
            "/static/offline-queue.js"} <= set(sent)
    for path, (asked, coding) in sent.items():
        assert coding == ("br" if "br" in asked else "gzip"), (path, asked, coding)
    # The stylesheet took effect: app.css gives the skip link its place off screen.
    assert await page.evaluate(
        "() => getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
    # The page fixture fails the test on any console error, a script that did not parse too.


async def test_chromium_gets_its_own_pages_compressed_and_shows_them(page):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Ryhmä A", coaches=[coach])
    await make_participant(group, display_name="Anna Aalto")
    pages: list[tuple[str, str, str | None]] = []

    async def note(response) -> None:
        if response.request.is_navigation_request():
            asked = await response.request.all_headers()
            pages.append((urlsplit(response.url).path, asked.get("sec-fetch-site", ""),
                          (await response.all_headers()).get("content-encoding")))

    page.on("response", note)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}/meetings/new")  # typed: Sec-Fetch-Site none
    await page.get_by_text("Anna Aalto").wait_for()
    await page.wait_for_load_state("networkidle")
    path, site, coding = pages[-1]
    assert path == f"/groups/{group.id}/meetings/new"
    assert (site, coding) == ("none", "br")
    # A link followed on our own page is same-origin, and compressed too.
    await page.goto(f"/groups/{group.id}")
    await page.evaluate(
        "(href) => { const a = document.createElement('a'); a.href = href;"
        " a.setAttribute('hx-boost', 'false'); document.body.append(a); a.click(); }",
        f"/groups/{group.id}/meetings/new")
    await page.wait_for_url(f"**/groups/{group.id}/meetings/new")
    await page.get_by_text("Anna Aalto").wait_for()
    await page.wait_for_load_state("networkidle")
    path, site, coding = pages[-1]
    assert (path, site, coding) == (f"/groups/{group.id}/meetings/new", "same-origin", "br")
