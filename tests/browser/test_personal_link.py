"""The personal link on a 360 px phone in Finnish, Swedish and English (issue 11 points 4, 5).

The coach makes the link, a participant's own phone (a new browser) opens it with a tap,
signs out after being asked once, lands on the participants' page and comes back with
the same link. Every page is checked with axe-core (WCAG 2.1 A and AA).
"""

from __future__ import annotations

import pytest

from coach.audit.tables import AuditEvent
from coach.i18n import LANGUAGES
from tests.browser.checks import (
    assert_phone_friendly,
    doc_screenshot,
    phone,
    screenshot,
    sign_in,
    text,
    use_language,
)
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


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_coach_gives_the_link_and_the_participant_comes_back_with_it(
        page, browser, live_server, language):
    copy = text(language, "Copy the link")  # "Kopioi linkki"
    await use_language(page.context, live_server, language)
    coach = await make_user("kaisa", "coach")
    group = await make_group(coaches=[coach])
    anna = await make_participant(group, "Anna")
    await page.add_init_script(FAKE_SHARE)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/participants/{anna.id}")
    async with page.expect_navigation():
        await page.click(f"form[action='/participants/{anna.id}/invite'] button")
    await page.get_by_role("button", name=copy).wait_for()
    await assert_phone_friendly(page, f"the coach's link page ({language})")
    await screenshot(page, f"personal-link-coach-{language}")
    if language == "fi":
        await doc_screenshot(page, "personal-link-coach-fi")  # shown in the README
    link = await page.input_value("#invite-link")
    assert f"{live_server}/i/" in link
    assert await page.locator("svg").count() >= 1  # the QR code
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                         origin=live_server)
    await page.get_by_role("button", name=copy).click()
    await page.get_by_role("status").filter(
        has_text=text(language, "The link was copied.")).wait_for()
    assert await page.evaluate("() => navigator.clipboard.readText()") == link
    await page.get_by_role("button", name=text(language, "Share the link")).click()
    assert (await page.evaluate("() => window.sharedData"))["url"] == link

    own = await browser.new_context(**phone(live_server, service_workers="block"))
    await use_language(own, live_server, language)
    errors: list[str] = []
    phone_page = await own.new_page()
    phone_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    await phone_page.goto(link)
    # Opening the link (as a message app's preview does) signs nobody in.
    assert not await AuditEvent.exists().where(AuditEvent.action == "invite.use")
    await assert_phone_friendly(phone_page, f"the link's welcome ({language})")
    await screenshot(phone_page, f"personal-link-open-{language}")
    async with phone_page.expect_navigation():
        await phone_page.click("form[action^='/i/'] button[type=submit]")
    assert phone_page.url.endswith("/me")
    assert text(language, "Hello, %(name)s!", name="Anna") in await phone_page.locator(
        "h1").inner_text()

    async with phone_page.expect_navigation():
        await phone_page.get_by_role("button", name=text(language, "Sign out")).click()
    assert text(language, "Sign out?") in await phone_page.locator("h1").inner_text()
    await assert_phone_friendly(phone_page, f"sign out? ({language})")
    async with phone_page.expect_navigation():
        await phone_page.get_by_role("button", name=text(language, "Yes, sign out")).click()
    assert phone_page.url.endswith("/signed-out")
    assert text(language, "Open your personal link to come back.") in await phone_page.content()
    assert await phone_page.locator("input[type=password]").count() == 0
    await assert_phone_friendly(phone_page, f"signed out ({language})")
    await screenshot(phone_page, f"personal-link-signed-out-{language}")

    await open_with_a_tap(phone_page, link)
    assert phone_page.url.endswith("/me")
    assert await AuditEvent.count().where(AuditEvent.action == "invite.use") == 2
    await own.close()
    assert not errors, "console errors:\n" + "\n".join(errors)
