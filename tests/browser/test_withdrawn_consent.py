"""Withdrawn consent on a 360 px phone in Finnish, Swedish and English (issue 11 point 3).

The coach sees "Suostumus peruttu" ("Consent withdrawn") as words beside the person on
the group page, the meeting form and the participant page (with the notice at the top and
no news form); the admin sees the list of people waiting for erasure. axe-core checks
every page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.forms import today
from coach.i18n import LANGUAGES
from coach.participant_portal.services import withdraw_consent
from tests.browser.checks import (
    assert_phone_friendly,
    doc_screenshot,
    screenshot,
    sign_in,
    text,
    use_language,
)
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_coach_and_the_admin_see_withdrawn_consent(page, live_server, language):
    mark = text(language, "Consent withdrawn")  # "Suostumus peruttu"
    # The participant page's heading: "Suostumus peruttu 28.11.2026".
    withdrawn_on = text(language, "Consent withdrawn on %(date)s").split("%(date)s")[0].strip()
    await use_language(page.context, live_server, language)
    coach = await make_user("valmentaja")
    await make_user("yllapito", role="admin")
    group = await make_group("Ryhmä Kuopio", coaches=[coach])
    aino = await make_participant(group, "Aino")
    await make_participant(group, "Pekka", gender="male")
    assert await withdraw_consent(aino.id, today() - dt.timedelta(days=3))

    await sign_in(page, "valmentaja", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}")
    aino_row = page.locator("#participants li", has_text="Aino")
    assert mark in await aino_row.inner_text()
    assert mark not in await page.locator("#participants li", has_text="Pekka").inner_text()
    await assert_phone_friendly(page, f"group page ({language})")
    await screenshot(page, f"withdrawn-group-{language}")

    await aino_row.locator("a").click()
    await page.wait_for_url(f"**/participants/{aino.id}")
    notice = page.locator("#consent-withdrawn")
    assert await notice.is_visible()
    notice_text = await notice.inner_text()
    assert withdrawn_on in notice_text and text(language, (
        "Nothing new is recorded about this person: no meetings, news or self-assessments."
        " An administrator will erase their data. Until then, what was recorded earlier"
        " stays here.")) in notice_text
    assert await page.locator("#news-form").count() == 0
    await assert_phone_friendly(page, f"participant page ({language})")
    await screenshot(page, f"withdrawn-participant-{language}")

    await page.goto(f"/groups/{group.id}/meetings/new")
    row = page.locator(f"#toggle-{aino.id}")
    assert mark in await row.inner_text()
    assert await row.locator("input").count() == 0
    await assert_phone_friendly(page, f"meeting form ({language})")
    await screenshot(page, f"withdrawn-meeting-{language}")

    await page.context.clear_cookies()
    await use_language(page.context, live_server, language)
    await sign_in(page, "yllapito", DEFAULT_PASSWORD)
    await page.goto("/")
    link = page.locator("#erasure-waiting a")
    assert await link.inner_text() == text(language, "Waiting for erasure: %(count)s", count=1)
    await link.click()
    await page.wait_for_url("**/admin/erasure")
    assert text(language, "Waited %(days)s days", days=3) in await page.locator(
        "#erasure-queue").inner_text()
    await assert_phone_friendly(page, f"erasure queue ({language})")
    await screenshot(page, f"erasure-queue-{language}")
    if language == "fi":
        await doc_screenshot(page, "erasure-queue-fi")  # shown in the README
