"""A participant answers WHO-5 and the Work Ability Score on a 360 px phone and sees their chart.

The same through an invite link and through "fill in together" on the coach's phone;
every screen is checked with axe-core (WCAG 2.1 A and AA) in Finnish, Swedish and English.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessments.tables import Assessment
from coach.auth.invites import create_invite
from tests.browser.checks import assert_phone_friendly, phone, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

WHO5_ANSWERS = [4, 3, 2, 3, 4]  # by hand: 4+3+2+3+4 = 16; 16 × 4 = 64 -> "good" (> 50)
WAS_ANSWER = 7  # by hand: 7 -> "moderate" (6–7)
LIFESTYLE_ANSWERS = [2, 3, 4, 1, 2]  # by hand: 12; 12 × 5 = 60 -> "fair" (41–70)
TOTAL = len(WHO5_ANSWERS) + 1 + len(LIFESTYLE_ANSWERS)
# A group starting today: its baseline asks all three instruments (the lifestyle check
# has its own schedule; tests/browser/test_check_navigation.py answers a check without it).
BASELINE_TODAY = dt.date.today()
CHART_TITLE = {
    "fi": "Hyvinvointi (WHO-5)",
    "sv": "Välbefinnande (WHO-5)",
    "en": "Wellbeing (WHO-5)",
}


async def open_invite(page, participant) -> None:
    token = await create_invite(participant.id, created_by=None)
    await page.goto(f"/i/{token}")
    async with page.expect_navigation():
        await page.click(f"form[action='/i/{token}'] button[type=submit]")
    assert page.url.endswith("/me")


async def answer_the_check(page, check_screens: bool, name: str = "", first: int = 1) -> None:
    """Answer every question from `first` on by tapping its button; check some screens."""
    async with page.expect_navigation():
        await page.click("a[href='/me/check']")
    answers = WHO5_ANSWERS + [WAS_ANSWER] + LIFESTYLE_ANSWERS
    for number, value in enumerate(answers, start=1):
        if number < first:
            continue
        progress = await page.locator(".check-progress__count").inner_text()
        assert progress.replace(" ", "") == f"{number}/{TOTAL}"
        if check_screens and number in (1, len(WHO5_ANSWERS) + 1):  # a choice and the scale
            await assert_phone_friendly(page, f"question {number}")
            await screenshot(page, f"participant-question-{number}-{name}")
        async with page.expect_navigation():
            await page.click(f"button[name=answer][value='{value}']")
    assert await Assessment.count() == 0  # nothing is stored before the confirmation
    if check_screens:
        await assert_phone_friendly(page, "confirmation")
    async with page.expect_navigation():
        await page.click("form[action='/me/check/save'] button:not([name])")
    assert page.url.endswith("/me/progress")


async def assert_stored_as_computed_by_hand(participant, mode: str, recorded_by) -> None:
    rows = {
        row["instrument"]: row
        for row in await Assessment.select().where(Assessment.participant == participant.id)
    }
    assert set(rows) == {"who5", "was", "lifestyle"}
    who5, was, lifestyle = rows["who5"], rows["was"], rows["lifestyle"]
    assert (who5["raw_score"], who5["score"], who5["band"]) == (16, 64.0, "good")
    assert (was["raw_score"], was["score"], was["band"]) == (7, 7.0, "moderate")
    assert (lifestyle["raw_score"], lifestyle["score"], lifestyle["band"]) == (12, 60.0, "fair")
    assert {(row["mode"], row["recorded_by"]) for row in rows.values()} == {(mode, recorded_by)}


async def assert_progress_chart(page, language: str) -> None:
    chart = page.locator("svg[role=img]").first
    await chart.wait_for()
    assert CHART_TITLE[language] in await page.locator("#chart-who5-title").text_content()
    assert await page.locator("svg[role=img] circle").count() >= 3  # a dot per instrument
    table = page.locator("table").first
    assert "64" in await table.inner_text()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_invite_link_check_and_progress_chart(page, live_server, language):
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    group = await make_group(starts_on=BASELINE_TODAY)
    participant = await make_participant(group, "Aino")
    await open_invite(page, participant)
    assert await page.get_attribute("html", "lang") == language
    await assert_phone_friendly(page, f"welcome ({language})")
    await answer_the_check(page, check_screens=True, name=language)
    await assert_stored_as_computed_by_hand(participant, "invite", None)
    await assert_progress_chart(page, language)
    await assert_phone_friendly(page, f"progress ({language})")
    await screenshot(page, f"participant-progress-{language}")
    for path in ("/me/data", "/me/withdraw"):
        await page.goto(path)
        await assert_phone_friendly(page, f"{path} ({language})")


async def test_fill_in_together_on_the_coachs_phone(page):
    coach = await make_user("kaisa", "coach")
    group = await make_group(coaches=[coach], starts_on=BASELINE_TODAY)
    participant = await make_participant(group, "Aino")
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto(f"/participants/{participant.id}")
    async with page.expect_navigation():
        await page.click(f"form[action='/participants/{participant.id}/together'] button")
    assert page.url.endswith("/me")
    await assert_phone_friendly(page, "welcome, together")
    await answer_the_check(page, check_screens=False)
    await assert_stored_as_computed_by_hand(participant, "together", coach.id)
    await assert_progress_chart(page, "fi")
    await assert_phone_friendly(page, "progress, together")


async def test_the_check_works_without_javascript(browser, live_server):
    context = await browser.new_context(**phone(live_server, java_script_enabled=False))
    page = await context.new_page()
    participant = await make_participant(await make_group(starts_on=BASELINE_TODAY), "Aino")
    await open_invite(page, participant)
    # Back on the second question returns to the first with its answer marked.
    async with page.expect_navigation():
        await page.click("a[href='/me/check']")
    async with page.expect_navigation():
        await page.click("button[name=answer][value='4']")
    async with page.expect_navigation():
        await page.click("a.check-back")
    assert (await page.locator(".check-progress__count").inner_text()).replace(" ", "") == (
        f"1/{TOTAL}"
    )
    assert await page.locator("button.answer--chosen").get_attribute("value") == "4"
    # The front page offers to go on where the participant left off.
    await page.goto("/me")
    assert "Jatka vastaamista" in await page.locator("main").inner_text()
    await answer_the_check(page, check_screens=False, first=2)
    await assert_stored_as_computed_by_hand(participant, "invite", None)
    await context.close()
