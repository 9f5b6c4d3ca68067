"""Care after a low score on a 360 px phone (issue 11, points 8–10), in Finnish, Swedish, English.

A participant answers WHO-5 low: the questions carry no remark about translations, and
the progress page says kindly where to get help, with numbers to tap. Their coach sees
"Talk with …" on the home page and marks it done. axe-core checks every page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessments.instruments import get_instrument
from coach.assessments.tables import Assessment, CareFollowUp
from coach.audit.log import now
from coach.auth.invites import create_invite
from coach.forms import today
from tests.browser.checks import assert_phone_friendly, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

LOW_WHO5 = [1, 1, 1, 2, 1]  # by hand: 6 × 4 = 24, "28 or below"
TRANSLATION_REMARK = {
    "fi": "virallinen käännös",
    "sv": "officiella översättning",
    "en": "official one",
}
CARE_WORDS = {
    "fi": ("Mitä sinulle kuuluu?", "Puhu valmentajasi kanssa.", "Tavallista matalampi"),
    "sv": ("Hur mår du?", "Prata med din coach.", "Lägre än vanligt"),
    "en": ("How are you?", "Talk to your coach.", "Lower than usual"),
}
TALK_WITH = {
    "fi": "Keskustele: Aino – hyvinvointi matala",
    "sv": "Prata med Aino: lågt välbefinnande",
    "en": "Talk with Aino: wellbeing low",
}


async def set_language(page, live_server, language: str) -> None:
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])


async def open_invite(page, participant) -> None:
    token = await create_invite(participant.id, created_by=None)
    await page.goto(f"/i/{token}")
    async with page.expect_navigation():
        await page.click(f"form[action='/i/{token}'] button[type=submit]")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_low_wellbeing_check_shows_kind_words_and_help(page, live_server, language):
    await set_language(page, live_server, language)
    participant = await make_participant(await make_group(), "Aino")
    await open_invite(page, participant)
    await page.goto("/me/check?only=who5")
    # Point 8: no remark about translations for the participant.
    assert TRANSLATION_REMARK[language] not in await page.locator("main").inner_text()
    assert await page.locator(".question__note").count() == 0
    await assert_phone_friendly(page, f"first question ({language})")
    for value in LOW_WHO5:
        async with page.expect_navigation():
            await page.click(f"button[name=answer][value='{value}']")
    async with page.expect_navigation():
        await page.click("form[action='/me/check/save'] button:not([name])")
    assert page.url.endswith("/me/progress")
    [row] = await Assessment.select(Assessment.score)
    assert row["score"] == 24.0

    care = page.locator("#care")
    await care.wait_for()
    heading, coach_words, band = CARE_WORDS[language]
    text = await care.inner_text()
    assert heading in text and coach_words in text
    tels = await care.locator("a[href^='tel:']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert set(tels) == {"tel:0925250111", "tel:0925250112", "tel:0925250116", "tel:112"}
    assert band in await page.locator("table").first.inner_text()  # a neutral band name
    await assert_phone_friendly(page, f"progress with help ({language})")
    await screenshot(page, f"care-progress-{language}")


async def add_low_who5(participant) -> Assessment:
    row = Assessment(participant=participant.id, instrument="who5", instrument_version="1998",
                     taken_on=today() - dt.timedelta(days=1), completed_at=now(), answers={},
                     raw_score=6, score=24.0,
                     band=get_instrument("who5").band_for(24.0).id, mode="invite")
    await row.save()
    return row


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_coach_marks_talk_with_done(page, live_server, language):
    await set_language(page, live_server, language)
    coach = await make_user("kaisa", "coach")
    group = await make_group(coaches=[coach])
    participant = await make_participant(group, "Aino")
    low = await add_low_who5(participant)
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.goto("/")
    step = page.locator(f"li[data-care='{participant.id}']")
    assert TALK_WITH[language] in await step.inner_text()
    await assert_phone_friendly(page, f"home with a care step ({language})")
    await screenshot(page, f"care-home-{language}")
    async with page.expect_navigation():
        await step.locator("button[type=submit]").click()
    assert await page.locator(f"li[data-care='{participant.id}']").count() == 0
    [row] = await CareFollowUp.select()
    assert (row["assessment"], row["done_by"]) == (low.id, coach.id)
    await assert_phone_friendly(page, f"home after mark done ({language})")
