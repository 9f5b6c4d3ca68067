"""Measure the bytes a phone downloads on a first visit to "Log a meeting".

    python bench/page_weight.py                 # the "Log a meeting" page, 14 participants
    python bench/page_weight.py --participants 30 --budget 40

A coach of a group is signed in on an empty cache, then the page is fetched together with
everything the browser loads for it on a first visit: stylesheets, scripts, the icon, the
web app manifest and the service worker script, and then what the service worker fetches
as it installs (sw.js: the files it keeps on the phone and the offline page; those the
page has just loaded come from the browser's cache, the rest from the network).

The app runs under uvicorn, as `coach serve` runs it, and every request says what a phone's
browser says: `Accept-Encoding: gzip, deflate, br, zstd` (Chrome and Firefox; Safari
leaves out zstd; browsers offer br over HTTPS and to localhost, and an installable app is
served over HTTPS anyway). Each response is counted as sent, compressed when the server
compresses it, with its status line and headers as HTTP/1.1 sends them (HTTP/2 would
compress the headers). The run uses a temporary SQLite database that is removed
afterwards. Exits 1 when the total is over the budget (KB = 1,000 bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Resources(HTMLParser):
    """Collect the URLs a browser fetches while loading a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(("script", attributes["src"]))
        elif tag == "img" and attributes.get("src"):
            self.urls.append(("image", attributes["src"]))
        elif tag == "link" and attributes.get("href"):
            rel = (attributes.get("rel") or "").lower()
            # apple-touch-icon is fetched only when adding to an iPhone's home screen.
            if rel in ("stylesheet", "icon", "manifest"):
                self.urls.append((rel, attributes["href"]))


def wire_size(response) -> tuple[int, int]:
    """Return (body bytes as sent, header bytes) of an httpx response."""
    body = response.num_bytes_downloaded
    headers = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + sum(
        len(key) + len(value) + 4 for key, value in response.headers.raw) + 2
    return body, headers


# Sec-Fetch-Site: the coach comes to the page from the group page (or the home-screen icon,
# "none"), and the page loads its files: the browser says "same-origin" for each.
BROWSER_HEADERS = {"accept-encoding": "gzip, deflate, br, zstd", "accept-language": "fi",
                   "sec-fetch-site": "same-origin"}


async def measure(participants: int) -> list[tuple[str, str, int, int, int]]:
    """Return (kind, url, body bytes sent, header bytes, body bytes uncompressed) per fetch."""
    import httpx
    import uvicorn

    from coach.app import bind_tables, create_app
    from coach.migrate import migrate_forwards
    from coach.settings import load_settings
    from tests.auth_helpers import login_as
    from tests.factories import make_group, make_participant, make_user

    settings = load_settings()
    bind_tables(settings)
    await migrate_forwards()
    coach = await make_user("bench-coach", "coach")
    group = await make_group("Ryhmä A", coaches=[coach])
    names = ["Anna", "Mikko", "Sari", "Jussi", "Leena", "Pekka", "Tiina", "Antti", "Maija",
             "Ville", "Kirsi", "Timo", "Hanna", "Jari"]
    for number in range(participants):
        await make_participant(group, display_name=f"{names[number % len(names)]} {number + 1}")

    app = create_app(settings)
    # server_header=False as `coach serve` sets it.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False))
    listening = socket.create_server(("127.0.0.1", 0))  # requests wait here until it serves
    port = listening.getsockname()[1]
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     headers=BROWSER_HEADERS) as client:
            await login_as(client, coach)
            return await first_visit(client, app.route_reverse("meeting_new", group_id=group.id))
    finally:
        server.should_exit = True
        await serving


async def first_visit(client, page_url: str) -> list[tuple[str, str, int, int, int]]:
    """Fetch the page, what it loads, and what the service worker fetches as it installs."""
    page = await client.get(page_url)
    if page.status_code != 200:
        raise SystemExit(f"GET {page_url} answered {page.status_code}")
    rows = [("page", page_url, *wire_size(page), len(page.content))]
    parser = Resources()
    parser.feed(page.text)
    fetched = {page_url}

    async def fetch(kind: str, url: str):
        fetched.add(url)
        response = await client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        rows.append((kind, url, *wire_size(response), len(response.content)))
        return response

    for kind, url in parser.urls:
        if url not in fetched:
            await fetch(kind, url)
    worker = await fetch("service worker", "/sw.js")  # app.js registers it on load
    # Its install event keeps these on the phone (cache.addAll); what the page loaded comes
    # from the browser's cache (versioned files are immutable), the rest from the network.
    assets = json.loads(re.search(r"const ASSETS = (\[.*?\]);", worker.text).group(1))
    assets.append(re.search(r'const OFFLINE_URL = "([^"]+)"', worker.text).group(1))
    for url in assets:
        if url not in fetched:
            await fetch("worker install", url)
    return rows


def report(rows: list[tuple[str, str, int, int, int]], budget_kb: float) -> int:
    counted = [row for row in rows if not row[0].startswith("(")]
    print(f"{'what':<16} {'sent':>8} {'headers':>8} {'raw':>8}  url")
    for kind, url, body, head, raw in rows:
        print(f"{kind:<16} {body:>8,} {head:>8,} {raw:>8,}  {url.split('?')[0]}")
    install = sum(row[2] + row[3] for row in counted if row[0] == "worker install")
    body_total = sum(row[2] for row in counted)
    total = body_total + sum(row[3] for row in counted)
    print(f"\nfirst visit: {total / 1000:.1f} KB sent ({body_total / 1000:.1f} KB bodies "
          f"+ {(total - body_total) / 1000:.1f} KB headers; {(total - install) / 1000:.1f} KB "
          f"for the page, {install / 1000:.1f} KB as the service worker installs); "
          f"budget {budget_kb:g} KB")
    return 0 if total <= budget_kb * 1000 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=14)
    parser.add_argument("--budget", type=float, default=40.0, help="kilobytes (default 40)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="coach-bench-")
    os.environ.update(COACH_DATA_DIR=data_dir, COACH_ENV="development")
    for name in ("DATABASE_URL", "COACH_SECRET_KEY"):  # a fresh SQLite file, a key made for it
        os.environ.pop(name, None)
    try:
        rows = asyncio.run(measure(args.participants))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return report(rows, args.budget)


if __name__ == "__main__":
    sys.exit(main())
