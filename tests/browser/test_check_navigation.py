"""The phone's own Back button and reload in the middle of the check (issue 11 points 6, 7).

A participant whose baseline is done answers the check at the group's second interim
point on a 360 × 740 phone in Finnish: only WHO-5 and the Work Ability Score are due
(six questions). Back returns to the previous question with its answer, never to
"Confirm form resubmission"; reload keeps what was chosen; the check is stored once.
A shorter pass in Swedish and English goes through the same pages (welcome, a question,
review, progress) with their words and the axe-core and phone checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from coach.assessments.instruments import get_instrument
from coach.assessments.services import save_check
from coach.assessments.tables import Assessment
from coach.auth.invites import create_invite
from coach.choices import AssessmentMode
from tests.browser.checks import (
    assert_phone_friendly,
    doc_screenshot,
    phone,
    text,
    use_language,
)
from tests.factories import make_group, make_participant

pytestmark = pytest.mark.browser

WHO5_ANSWERS = [4, 3, 2, 3, 4]  # 16 × 4 = 64
WAS_ANSWER = 7


async def participant_at_second_interim_point():
    """Return a participant of a group that began 8 weeks ago, baseline answered then."""
    start = dt.date.today() - dt.timedelta(weeks=8)
    participant = await make_participant(await make_group(starts_on=start), "Aino")
    for name in ("who5", "was", "lifestyle"):
        instrument = get_instrument(name)
        answers = {item.id: min(item.values) for item in instrument.items}
        await save_check(participant.id, {name: answers}, mode=AssessmentMode.invite,
                         taken_on=start)
    return participant


async def open_invite(page, participant) -> None:
    token = await create_invite(participant.id, created_by=None)
    await page.goto(f"/i/{token}")
    async with page.expect_navigation():
        await page.click(f"form[action='/i/{token}'] button[type=submit]")
    assert page.url.endswith("/me")


async def screen(page) -> str:
    return (await page.locator(".check-progress__count").inner_text()).replace(" ", "")


async def chosen(page) -> str | None:
    marked = page.locator("button.answer--chosen")
    return await marked.get_attribute("value") if await marked.count() else None


async def tap(page, value: int) -> None:
    async with page.expect_navigation():
        await page.click(f"button[name=answer][value='{value}']")


def instrument_name(instrument_id: str, language: str) -> str:
    return getattr(get_instrument(instrument_id).name, language)


def due_words(language: str) -> tuple[str, str]:
    """Return the welcome's lines for the due check: its length and what it asks about."""
    length = text(language, "%(questions)s, about %(minutes)s",
                  questions=text(language, "%(num)s questions", num=6),
                  minutes=text(language, "%(num)s minutes", num=2))
    parts = ", ".join(instrument_name(name, language) for name in ("who5", "was"))
    return length, text(language, "This time: %(parts)s", parts=parts)


def assert_a_page_not_a_resubmission(response) -> None:
    # Chromium's "Confirm form resubmission" is an error page (ERR_CACHE_MISS) with no
    # response from the server; a screen of the check is a 200 to a GET.
    assert response is not None, "the browser showed no page from the server"
    assert response.status == 200 and response.request.method == "GET", (
        response.status, response.request.method, response.url)


async def test_back_and_reload_in_the_middle_of_the_check(page, live_server):
    await use_language(page.context, live_server, "fi")
    participant = await participant_at_second_interim_point()
    await open_invite(page, participant)
    welcome = await page.locator("main").inner_text()
    length, parts = due_words("fi")
    assert length == "6 kysymystä, noin 2 minuuttia" and length in welcome
    assert parts == "Tällä kertaa: Hyvinvointi (WHO-5), Työkyky" and parts in welcome
    await assert_phone_friendly(page, "welcome with the question count")

    async with page.expect_navigation():
        await page.click("a[href='/me/check']")
    assert page.url.endswith("/me/check/1") and await screen(page) == "1/6"
    await assert_phone_friendly(page, "question 1")
    await tap(page, 4)
    assert page.url.endswith("/me/check/2")

    # The phone's Back button: question 1 again, with its answer.
    assert_a_page_not_a_resubmission(await page.go_back())
    assert page.url.endswith("/me/check/1")
    assert await screen(page) == "1/6" and await chosen(page) == "4"
    await assert_phone_friendly(page, "question 1 after Back")
    await doc_screenshot(page, "check-question-fi")  # shown in the README

    # Forward, answer question 2, back to it and reload: what was ticked there stays.
    assert_a_page_not_a_resubmission(await page.go_forward())
    assert page.url.endswith("/me/check/2") and await chosen(page) is None
    await tap(page, 3)
    assert_a_page_not_a_resubmission(await page.go_back())
    assert page.url.endswith("/me/check/2") and await chosen(page) == "3"
    assert_a_page_not_a_resubmission(await page.reload())
    assert await screen(page) == "2/6" and await chosen(page) == "3"
    # A phone that restores the screen from its back/forward cache (a copy from before
    # the answer) asks the server again.
    async with page.expect_navigation():
        await page.evaluate("() => window.dispatchEvent("
                            "new PageTransitionEvent('pageshow', {persisted: true}))")
    assert await screen(page) == "2/6" and await chosen(page) == "3"
    # Screen 1's answer is still there too.
    assert_a_page_not_a_resubmission(await page.go_back())
    assert await screen(page) == "1/6" and await chosen(page) == "4"

    # The answers are not in the page or the browser's storage: only on the server.
    await page.goto("/me/check/2")
    local, session = await page.evaluate(
        "() => [{...localStorage}, {...sessionStorage}]")
    assert local == {}  # no htmx history cache (it would hold copies of the screens)
    # htmx remembers only which address it showed last.
    assert set(session) <= {"htmx-current-path-for-history"}
    assert all(value.startswith("/") and len(value) < 50 for value in session.values())
    hidden = await page.locator("form[action='/me/check/2'] input[type=hidden]").evaluate_all(
        "inputs => inputs.map(i => i.name)")
    assert hidden == ["_csrf_token"]

    # On to the end; the check has six questions, no lifestyle questions.
    await tap(page, 3)
    for value in WHO5_ANSWERS[2:] + [WAS_ANSWER]:
        await tap(page, value)
    assert page.url.endswith("/me/check/review")
    review = await page.locator("main").inner_text()
    assert "Elintavat" not in review and "Työkyky" in review
    await assert_phone_friendly(page, "review")
    # Save sent twice at once (a second tap while the first is on its way, here a request
    # with the page's cookies and token beside the tap): one check is stored.
    token = await page.locator(
        "form[action='/me/check/save'] input[name=_csrf_token]").input_value()

    async def tap_save():
        async with page.expect_navigation(url="**/me/progress"):
            await page.click("form[action='/me/check/save'] button[type=submit]")

    second, _tapped = await asyncio.gather(
        page.request.post("/me/check/save", form={"_csrf_token": token}, max_redirects=0),
        tap_save())
    assert second.status == 303 and second.headers["location"] == "/me/progress"
    rows = await Assessment.select(Assessment.instrument, Assessment.raw_score).where(
        (Assessment.participant == participant.id) & (Assessment.taken_on == dt.date.today()))
    assert sorted((row["instrument"], row["raw_score"]) for row in rows) == [
        ("was", 7), ("who5", 16)]

    # Back from the progress page: the saved check is not offered again.
    assert_a_page_not_a_resubmission(await page.go_back())
    assert page.url.endswith("/me/progress")


async def test_back_works_the_same_without_javascript(browser, live_server):
    context = await browser.new_context(**phone(live_server, java_script_enabled=False))
    page = await context.new_page()
    participant = await participant_at_second_interim_point()
    await open_invite(page, participant)
    async with page.expect_navigation():
        await page.click("a[href='/me/check']")
    await tap(page, 5)
    await tap(page, 1)
    assert_a_page_not_a_resubmission(await page.go_back())
    assert await screen(page) == "2/6" and await chosen(page) == "1"
    assert_a_page_not_a_resubmission(await page.go_back())
    assert await screen(page) == "1/6" and await chosen(page) == "5"
    assert_a_page_not_a_resubmission(await page.reload())
    assert await chosen(page) == "5"
    await context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_the_check_screen_by_screen_in_swedish_and_english(page, live_server, language):
    # The full Back/reload flow runs in Finnish above; this pass checks the same pages'
    # words, axe-core, touch targets and width in the other two languages.
    await use_language(page.context, live_server, language)
    participant = await participant_at_second_interim_point()
    await open_invite(page, participant)
    welcome = await page.locator("main").inner_text()
    length, parts = due_words(language)
    assert length in welcome and parts in welcome
    await assert_phone_friendly(page, f"welcome with the question count ({language})")

    async with page.expect_navigation():
        await page.click("a[href='/me/check']")
    assert page.url.endswith("/me/check/1") and await screen(page) == "1/6"
    await assert_phone_friendly(page, f"question 1 ({language})")
    await tap(page, WHO5_ANSWERS[0])
    assert_a_page_not_a_resubmission(await page.go_back())
    assert await screen(page) == "1/6" and await chosen(page) == str(WHO5_ANSWERS[0])
    await tap(page, WHO5_ANSWERS[0])
    for value in WHO5_ANSWERS[1:] + [WAS_ANSWER]:
        await tap(page, value)
    assert page.url.endswith("/me/check/review")
    review = await page.locator("main").inner_text()
    assert instrument_name("lifestyle", language) not in review
    assert instrument_name("was", language) in review
    await assert_phone_friendly(page, f"review ({language})")
    async with page.expect_navigation(url="**/me/progress"):
        await page.click("form[action='/me/check/save'] button[type=submit]")
    assert text(language, "My progress") in await page.locator("h1").inner_text()
    await assert_phone_friendly(page, f"progress ({language})")
    assert await Assessment.count().where(
        (Assessment.participant == participant.id)
        & (Assessment.taken_on == dt.date.today())) == 2
