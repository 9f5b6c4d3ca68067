"""Chromium takes the compressed static files as they are sent, and runs them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

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
