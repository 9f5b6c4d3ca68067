"""The personal link on a 360 px phone in Finnish (issue 11 points 4 and 5).

The coach makes the link, a participant's own phone (a new browser) opens it with a tap,
signs out after being asked once, lands on the participants' page and comes back with
the same link. Every page is checked with axe-core (WCAG 2.1 A and AA).
"""

from __future__ import annotations

import pytest

from coach.audit.tables import AuditEvent
from tests.browser.checks import assert_phone_friendly, phone, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

# Stands in for the phone's share sheet (desktop Chromium on Linux has none): it keeps what
# the page asked to share. Added through DevTools, so the CSP does not block it.
FAKE_SHARE = """
navigator.share = (data) => { window.sharedData = data; return Promise.resolve(); };
"""


async def open_with_a_tap(page, link: str) -> None:
    await page.goto(link)
    async with page.expect_navigation():
        await page.click("form[action^='/i/'] button[type=submit]")


async def test_the_coach_gives_the_link_and_the_participant_comes_back_with_it(
        page, browser, live_server):
    coach = await make_user("kaisa", "coach")
    group = await make_group(coaches=[coach])
    anna = await make_participant(group, "Anna")
    await page.add_init_script(FAKE_SHARE)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/participants/{anna.id}")
    async with page.expect_navigation():
        await page.click(f"form[action='/participants/{anna.id}/invite'] button")
    await page.get_by_role("button", name="Kopioi linkki").wait_for()
    await assert_phone_friendly(page, "the coach's link page")
    await screenshot(page, "personal-link-coach-fi")
    link = await page.input_value("#invite-link")
    assert f"{live_server}/i/" in link
    assert await page.locator("svg").count() >= 1  # the QR code
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                         origin=live_server)
    await page.get_by_role("button", name="Kopioi linkki").click()
    await page.get_by_role("status").filter(has_text="Linkki kopioitiin.").wait_for()
    assert await page.evaluate("() => navigator.clipboard.readText()") == link
    await page.get_by_role("button", name="Jaa linkki").click()
    assert (await page.evaluate("() => window.sharedData"))["url"] == link

    own = await browser.new_context(**phone(live_server, service_workers="block"))
    errors: list[str] = []
    phone_page = await own.new_page()
    phone_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    await phone_page.goto(link)
    # Opening the link (as a message app's preview does) signs nobody in.
    assert not await AuditEvent.exists().where(AuditEvent.action == "invite.use")
    await assert_phone_friendly(phone_page, "the link's welcome")
    await screenshot(phone_page, "personal-link-open-fi")
    async with phone_page.expect_navigation():
        await phone_page.click("form[action^='/i/'] button[type=submit]")
    assert phone_page.url.endswith("/me")
    assert "Hei, Anna!" in await phone_page.locator("h1").inner_text()

    async with phone_page.expect_navigation():
        await phone_page.get_by_role("button", name="Kirjaudu ulos").click()
    assert "Kirjaudutaanko ulos?" in await phone_page.locator("h1").inner_text()
    await assert_phone_friendly(phone_page, "sign out?")
    async with phone_page.expect_navigation():
        await phone_page.get_by_role("button", name="Kyllä, kirjaudu ulos").click()
    assert phone_page.url.endswith("/signed-out")
    assert "Pääset takaisin, kun avaat oman linkkisi." in await phone_page.content()
    assert await phone_page.locator("input[type=password]").count() == 0
    await assert_phone_friendly(phone_page, "signed out")
    await screenshot(phone_page, "personal-link-signed-out-fi")

    await open_with_a_tap(phone_page, link)
    assert phone_page.url.endswith("/me")
    assert await AuditEvent.count().where(AuditEvent.action == "invite.use") == 2
    await own.close()
    assert not errors, "console errors:\n" + "\n".join(errors)
