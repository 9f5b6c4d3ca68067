"""The coach's offline queue in a real phone-sized Chromium (issue 8).

Entries saved without a signal wait in IndexedDB and arrive exactly once; a signed-out
phone pauses the queue until the coach signs in again; a refused entry stays in front of
the coach until edited or discarded; sign-out leaves nothing of the user behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys

import pytest

from coach.auth.sessions import end_user_sessions
from coach.forms import today
from coach.meetings.tables import Attendance, Meeting
from coach.participants.tables import StatusChange
from tests.browser.checks import assert_phone_friendly, phone, screenshot, sign_in
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, free_port, wait_until_up
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

SAVED_OFFLINE = "Tallennettu tähän puhelimeen. Se lähtee, kun verkkoyhteys toimii."
ENTRIES_JS = """async () => {
  if (!(await indexedDB.databases()).some((db) => db.name === 'coach-offline')) return [];
  const db = await new Promise((ok, no) => { const r = indexedDB.open('coach-offline');
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  if (!db.objectStoreNames.contains('entries')) { db.close(); return []; }
  const all = await new Promise((ok) => { const r = db.transaction('entries')
    .objectStore('entries').getAll(); r.onsuccess = () => ok(r.result); });
  db.close();
  return all.map((e) => ({id: e.id, state: e.state, message: e.message, day: e.day}));
}"""


def quiet_about_the_network(message: str) -> bool:
    # Chromium reports every failed or 4xx request in the console, and htmx each of its
    # requests that found no network (the date field checks itself on change): here
    # failing requests are the point.
    return ("Failed to load resource" in message or "net::ERR_" in message
            or message.startswith(("htmx:sendError", "htmx:afterRequest")))


@pytest.fixture
async def page(context):
    """A page that fails the test on a console error other than a refused request."""
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not quiet_about_the_network(message.text) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, "console errors:\n" + "\n".join(errors)


async def entries(page) -> list[dict]:
    return await page.evaluate(ENTRIES_JS)


async def wait_for_entries(page, count: int, seconds: float = 20.0) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await entries(page)
        if len(found) == count or asyncio.get_running_loop().time() > deadline:
            assert len(found) == count, found
            return found
        await asyncio.sleep(0.2)


async def a_group_of_three(start_days_ago: int = 60):
    coach = await make_user("kaisa", "coach", display_name="Kaisa")
    group = await make_group("Voimaa arkeen", coaches=[coach], usual_duration_minutes=90,
                             starts_on=today() - dt.timedelta(days=start_days_ago))
    people = [await make_participant(group, display_name=name) for name in ("Anna", "Ben", "Cia")]
    return coach, group, people


async def fill_meeting(page, group, day: dt.date, present) -> None:
    """Open "Log a meeting" (unless it is open) and fill it in; the caller saves."""
    form_path = f"/groups/{group.id}/meetings/new"
    if not page.url.endswith(form_path):
        await page.goto(form_path)
    await page.locator("#meeting-form").wait_for()
    await page.fill("#held_on", day.isoformat())
    # The date checks itself and brings that day's roster; tick after it has arrived.
    await page.wait_for_timeout(100)
    await page.wait_for_function("() => !document.querySelector('.htmx-request')")
    for person in present:
        await page.check(f"#present-{person.id}")


async def save(page) -> None:
    await page.click("#meeting-form .actions button[type=submit]")


async def stored_meetings(group) -> list[tuple[dt.date, set[int]]]:
    rows = await Meeting.select(Meeting.id, Meeting.held_on).where(Meeting.group == group.id)
    found = []
    for row in rows:
        present = await Attendance.select(Attendance.participant).where(
            (Attendance.meeting == row["id"]) & (Attendance.present == True)  # noqa: E712
        )
        found.append((row["held_on"], {item["participant"] for item in present}))
    return sorted(found, key=lambda item: item[0])


async def wait_for_meetings(group, count: int, seconds: float = 20.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await stored_meetings(group)
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


class Server:
    """The app in a subprocess on a fixed port, so it can be stopped and started again.

    The port stays the same: IndexedDB belongs to the origin, port included.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (ARTIFACTS / "server-offline-queue.log").open("a")
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [sys.executable, "-m", "uvicorn", "coach.asgi:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"],
            env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_until_up(f"{self.url}/healthz", self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_server(database):
    ARTIFACTS.mkdir(exist_ok=True)
    server = Server()
    server.start()
    yield server
    server.stop()


async def test_a_meeting_saved_offline_arrives_once_after_the_server_restarts(
        browser, own_server):
    coach, group, people = await a_group_of_three()
    context = await browser.new_context(**phone(own_server.url, service_workers="block"))
    page = await context.new_page()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    yesterday = today() - dt.timedelta(days=1)
    await fill_meeting(page, group, yesterday, people)

    await context.set_offline(True)
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    assert await page.inner_text("#offline-queue-status") == "1 merkintä odottaa tässä puhelimessa."
    [entry] = await entries(page)
    assert entry["day"] == yesterday.isoformat()
    assert await stored_meetings(group) == []
    # The form is ready for the next meeting, with a key of its own.
    assert await page.input_value("input[name=submission_key]") != entry["id"]

    own_server.stop()
    own_server.start()
    await context.set_offline(False)
    await wait_for_entries(page, 0)
    await page.wait_for_function(
        "() => document.getElementById('offline-queue-status').textContent === ''")
    await page.get_by_text("Tähän puhelimeen tallennetut merkinnät on lähetetty.").wait_for()
    # The date is the one typed on the day, the attendance exactly the three ticked.
    assert await stored_meetings(group) == [(yesterday, {person.id for person in people})]
    await context.close()


async def test_a_double_tap_on_save_stores_one_meeting(page):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await fill_meeting(page, group, today(), people[:2])
    await page.dblclick("#meeting-form .actions button[type=submit]")
    await page.wait_for_url(f"**/groups/{group.id}")
    await page.locator(".flash--success").wait_for()
    await asyncio.sleep(1)
    assert await stored_meetings(group) == [(today(), {people[0].id, people[1].id})]
    assert await entries(page) == []


async def test_an_answer_lost_after_the_server_saved_still_gives_one_meeting(page):
    """Needs the server to recognise the repeated key (save_once in the meeting route)."""
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await fill_meeting(page, group, today(), people)
    action = f"**/groups/{group.id}/meetings/new"

    async def write_then_drop(route):
        if route.request.method != "POST":
            await route.continue_()
            return
        await route.fetch()  # the server writes the meeting ...
        await route.abort("connectionreset")  # ... and its answer never arrives

    await page.route(action, write_then_drop)
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    assert len(await stored_meetings(group)) == 1
    await page.unroute(action)
    await page.click("#offline-queue-send")
    await wait_for_entries(page, 0)
    assert await stored_meetings(group) == [(today(), {person.id for person in people})]


async def test_a_sign_in_that_expires_halfway_loses_nothing(page, context):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    days = [today() - dt.timedelta(days=n) for n in (1, 2, 3)]
    await page.goto(f"/groups/{group.id}/meetings/new")
    await context.set_offline(True)
    for day in days:
        await fill_meeting(page, group, day, people[:1])
        await save(page)
        await page.wait_for_function(
            "(n) => document.getElementById('offline-queue-status').textContent"
            ".startsWith(n + ' merkin')", arg=len(days) if day == days[-1] else 1 + days.index(day))
    assert len(await entries(page)) == 3

    posts = []

    async def expire_before_the_second(route):
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 2:
                await end_user_sessions(coach.id)  # the session ends between two sends
        await route.continue_()

    await page.route(f"**/groups/{group.id}/meetings/new", expire_before_the_second)
    await context.set_offline(False)
    await page.get_by_text("Kirjaudu uudelleen, niin 2 merkintää lähtee.").wait_for()
    assert len(await stored_meetings(group)) == 1
    assert len(await entries(page)) == 2
    assert await page.is_visible("#offline-queue-sign-in")

    await sign_in(page, "kaisa", DEFAULT_PASSWORD)  # the queue resumes by itself
    await wait_for_entries(page, 0)
    found = await wait_for_meetings(group, 3)
    assert sorted(day for day, _present in found) == sorted(days)
    assert all(present == {people[0].id} for _day, present in found)


async def test_a_refused_entry_waits_for_the_coach_to_edit_or_discard_it(page, context):
    coach, group, people = await a_group_of_three(start_days_ago=10)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    too_early = group.starts_on - dt.timedelta(days=5)
    await page.goto(f"/groups/{group.id}/meetings/new")
    await context.set_offline(True)
    await fill_meeting(page, group, too_early, people[:2])
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    await fill_meeting(page, group, too_early - dt.timedelta(days=1), people[:1])
    await save(page)
    # Both must be on the phone before the signal returns: a save that reaches the server
    # is answered at once with the form and its message, and is never queued.
    await page.wait_for_function(
        "() => document.getElementById('offline-queue-status').textContent"
        ".startsWith('2 merkin')")
    await context.set_offline(False)

    refused = page.locator("#offline-queue-refused li")
    await page.wait_for_function(
        "() => document.querySelectorAll('#offline-queue-refused li').length === 2", timeout=20000)
    await page.reload()  # kept on the phone, shown on every page
    await refused.first.wait_for()
    assert await refused.count() == 2
    message = await refused.first.locator(".field__error").inner_text()
    assert "ryhmä" in message.lower() or "alk" in message.lower(), message
    assert {e["state"] for e in await entries(page)} == {"refused"}
    await assert_phone_friendly(page, "refused entries")
    await screenshot(page, "offline-queue-refused")

    # Discard asks once.
    discard = refused.nth(1).get_by_role("button", name="Poista")
    await discard.click()
    assert len(await entries(page)) == 2
    await refused.nth(1).get_by_role("button", name="Kyllä, poista se").click()
    await page.wait_for_function(
        "() => document.querySelectorAll('#offline-queue-refused li').length === 1")
    assert len(await entries(page)) == 1

    # Edit opens the form filled in; the corrected entry is saved once.
    [left] = await entries(page)
    await refused.first.get_by_role("link", name="Muokkaa").click()
    await page.wait_for_function(
        "(day) => document.getElementById('held_on').value === day", arg=left["day"])
    ticked = [await page.is_checked(f"#present-{person.id}") for person in people]
    assert sum(ticked) in (1, 2)
    assert await page.input_value("input[name=submission_key]") == left["id"]
    await page.fill("#held_on", group.starts_on.isoformat())
    await save(page)
    await page.wait_for_url(f"**/groups/{group.id}")
    await wait_for_entries(page, 0)
    [(day, present)] = await stored_meetings(group)
    assert day == group.starts_on and len(present) == sum(ticked)


async def test_an_entry_the_sender_refused_stays_refused_when_its_own_save_then_fails(page):
    # The coach taps Save; while that send hangs, the connection "comes back" and the
    # background sender sends the same entry, which the server refuses. When the hung save
    # then fails for want of a signal, the entry must stay refused, not wait to go again.
    coach, group, people = await a_group_of_three(start_days_ago=10)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    too_early = group.starts_on - dt.timedelta(days=5)
    posts = []

    async def first_post_fails_after_the_sender_ran(route):
        if route.request.method != "POST" or "validate_only" in (route.request.post_data or ""):
            await route.continue_()  # the date field checks itself as it changes
            return
        posts.append(route.request.url)
        if len(posts) > 1:
            await route.continue_()  # the background sender's send: the server refuses it
            return
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        await page.wait_for_function(
            "() => document.querySelectorAll('#offline-queue-refused li').length === 1")
        await route.abort("internetdisconnected")

    await page.route(f"**/groups/{group.id}/meetings/new", first_post_fails_after_the_sender_ran)
    await fill_meeting(page, group, too_early, people[:1])
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    [entry] = await entries(page)
    assert entry["state"] == "refused", entry
    assert len(posts) == 2
    await asyncio.sleep(3)  # a waiting entry would be sent again after 2 s
    assert len(posts) == 2
    assert await stored_meetings(group) == []


async def test_two_tabs_with_a_queued_entry_send_it_once(page, context):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}/meetings/new")
    other = await context.new_page()
    await other.goto(f"/groups/{group.id}")
    await context.set_offline(True)
    await fill_meeting(page, group, today(), people)
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    await context.set_offline(False)  # both tabs hear "online" at once
    await wait_for_entries(page, 0)
    await asyncio.sleep(1)
    assert await stored_meetings(group) == [(today(), {person.id for person in people})]


async def test_signing_out_warns_then_leaves_nothing_of_the_user(page, context):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}/meetings/new")
    # The server cannot be reached for this form: the entry stays unsent.
    await page.route(f"**/groups/{group.id}/meetings/new",
                     lambda route: route.abort() if route.request.method == "POST"
                     else route.continue_())
    await fill_meeting(page, group, today(), people)
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    await page.evaluate(
        "() => { localStorage.setItem('x', '1'); sessionStorage.setItem('y', '2'); }")
    assert await page.evaluate("async () => (await caches.keys()).some("
                               "(n) => n.startsWith('coach-pages-'))")
    await assert_phone_friendly(page, "waiting entry and Send now")

    await page.click("form.sign-out button[type=submit]")
    warning = page.locator("#offline-queue-sign-out")
    await warning.wait_for()
    assert "1 merkintä ei ole vielä lähtenyt" in await warning.inner_text()
    await assert_phone_friendly(page, "sign-out warning")
    await screenshot(page, "offline-queue-sign-out")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Kirjaudu ulos ja poista ne").click()
    await page.wait_for_url("**/login")

    assert await entries(page) == []
    left = await page.evaluate("""async () => ({
      databases: (await indexedDB.databases()).map((db) => db.name),
      local: localStorage.length,
      session: Object.keys(sessionStorage).filter((k) => !k.startsWith('htmx')),
      caches: (await caches.keys()).filter((n) => !n.startsWith('coach-static-')),
    })""")
    assert left == {"databases": [], "local": 0, "session": [], "caches": []}
    assert await stored_meetings(group) == []
    # The session ended on the server too.
    assert (await page.goto(f"/groups/{group.id}")).url.endswith(f"/login?next=/groups/{group.id}")


async def test_log_a_meeting_opens_offline_from_the_service_workers_cache(browser, live_server):
    coach, group, people = await a_group_of_three()
    context = await browser.new_context(**phone(live_server, service_workers="allow"))
    page = await context.new_page()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.evaluate("() => navigator.serviceWorker.ready")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    form_path = f"/groups/{group.id}/meetings/new"
    await page.goto(form_path)
    await page.locator("#meeting-form").wait_for()
    kept = await page.evaluate("""async () => { const out = [];
      for (const name of await caches.keys()) if (name.startsWith('coach-pages-'))
        for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
      return out; }""")
    assert kept == [form_path]

    await context.set_offline(True)
    # A basement: the app opens on the offline page, which links to the kept form.
    await page.goto("/")
    assert await page.locator("h1").inner_text() == "Ei verkkoyhteyttä"  # not kept
    kept_link = page.get_by_role("link", name="Kirjaa tapaaminen – Voimaa arkeen")
    await kept_link.wait_for()
    await assert_phone_friendly(page, "offline page with a kept form")
    async with page.expect_navigation():
        await kept_link.click()
    await fill_meeting(page, group, today(), people[1:])
    await save(page)
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    await context.set_offline(False)
    await page.goto(form_path)
    await wait_for_entries(page, 0)
    assert await stored_meetings(group) == [(today(), {people[1].id, people[2].id})]

    async with page.expect_navigation():
        await page.click("form.sign-out button[type=submit]")
    names = await page.evaluate("async () => await caches.keys()")
    assert names and all(name.startswith("coach-static-") for name in names)
    await context.close()


async def test_a_participants_page_says_plainly_when_there_is_no_connection(page, context):
    from tests.browser.test_participant_flow import open_invite  # noqa: PLC0415

    coach, group, people = await a_group_of_three()
    await open_invite(page, people[0])
    assert await page.evaluate("() => typeof indexedDB !== 'undefined'")
    assert await page.locator("#offline-queue-status").count() == 0
    await context.set_offline(True)
    note = page.locator("#connection-note")
    await page.wait_for_function(
        "() => document.getElementById('connection-note').textContent !== ''")
    assert "Ei verkkoyhteyttä" in await note.inner_text()
    assert await entries(page) == []
    await context.set_offline(False)


async def news_rows(person) -> list[tuple[str, dt.date]]:
    rows = await StatusChange.select(StatusChange.status, StatusChange.effective_on).where(
        (StatusChange.participant == person.id) & (StatusChange.recorded_by.is_not_null())
    )
    return [(row["status"], row["effective_on"]) for row in rows]


async def test_news_recorded_offline_arrives_once(page, context):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/participants/{people[0].id}")
    await page.locator("#news-form").wait_for()
    started = today() - dt.timedelta(days=2)
    await context.set_offline(True)
    await page.select_option("#status", "employed_full_time")
    await page.fill("#effective_on", started.isoformat())
    await page.click("#news-form button[type=submit]")
    await page.get_by_text(SAVED_OFFLINE).wait_for()
    assert len(await entries(page)) == 1 and await news_rows(people[0]) == []
    await context.set_offline(False)
    await wait_for_entries(page, 0)
    assert await news_rows(people[0]) == [("employed_full_time", started)]


async def test_a_double_tap_on_save_news_stores_it_once(page):
    """The second tap may reach htmx: needs the server to recognise the repeated key."""
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/participants/{people[0].id}")
    await page.select_option("#status", "employed_part_time")
    await page.fill("#effective_on", today().isoformat())
    await page.dblclick("#news-form button[type=submit]")
    await page.locator("#news .flash--success").wait_for()
    await asyncio.sleep(1)
    assert await news_rows(people[0]) == [("employed_part_time", today())]
    assert await entries(page) == []


async def test_htmx_keeps_no_copy_of_the_pages_it_swaps(page):
    coach, group, people = await a_group_of_three()
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.wait_for_function("() => window.htmx !== undefined")
    await page.click(f"a[href='/groups/{group.id}']")
    await page.wait_for_url(f"**/groups/{group.id}")
    await page.click(f"a[href^='/participants/{people[0].id}']")
    await page.wait_for_url(f"**/participants/{people[0].id}*")
    # No copy to restore: Back fetches the page again from the server.
    async with page.expect_navigation():
        await page.go_back()
    await page.wait_for_url(f"**/groups/{group.id}")
    await page.locator("#participants").wait_for()
    stored = await page.evaluate("""() => ({
      local: Object.keys(localStorage),
      session: Object.entries(sessionStorage).filter(([k]) => !k.startsWith('htmx-current-path')),
    })""")
    assert stored == {"local": [], "session": []}


async def test_the_app_stays_installable(live_server, chromium_path, tmp_path):
    """Chromium's own installability check, in a normal (not incognito) profile."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, args=CHROMIUM_ARGS,
            **phone(live_server))
        page = await context.new_page()
        await make_user("kaisa", "coach")
        await sign_in(page, "kaisa", DEFAULT_PASSWORD)
        await page.evaluate("() => navigator.serviceWorker.ready")
        session = await context.new_cdp_session(page)
        result = await session.send("Page.getInstallabilityErrors")
        # The check can fail: the offline page links no manifest.
        await page.goto("/offline")
        bare = await session.send("Page.getInstallabilityErrors")
        await context.close()
    assert result["installabilityErrors"] == []
    assert bare["installabilityErrors"] != []
