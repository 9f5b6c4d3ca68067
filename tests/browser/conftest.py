"""Browser tests: the real server in a subprocess, headless Chromium through Playwright.

The server shares the test run's fresh database (tests/conftest.py makes a new data folder
for every run), so a test seeds rows with tests.factories, drives the pages like a person,
and then reads the tables to check what was stored. Tables are emptied after each test.
Run with: python -m pytest -m browser. Every test module here sets
`pytestmark = pytest.mark.browser`, so that plain `pytest` leaves them out.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.checks import phone

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped with exit code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def live_server(database):
    """Start uvicorn on a free port against the run's (already migrated) database."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [sys.executable, "-m", "uvicorn", "coach.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base_url}/healthz", server)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(browser, live_server):
    """A fresh phone-sized browser profile: no cookies, no service worker, no cache."""
    # Service workers are tested on their own (test_layout.py); elsewhere they would
    # serve cached files and hide what the server sends.
    context = await browser.new_context(**phone(live_server, service_workers="block"))
    yield context
    await context.close()


@pytest.fixture
async def page(context):
    """A page that fails the test on any console error, such as a CSP violation."""
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    assert not errors, "console errors:\n" + "\n".join(errors)
