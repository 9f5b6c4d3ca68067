"""Withdrawn consent on a 360 px phone in Finnish (issue 11 point 3).

The coach sees "Suostumus peruttu" as words beside the person on the group page, the
meeting form and the participant page (with the notice at the top and no news form);
the admin sees the list of people waiting for erasure. axe-core checks every page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.forms import today
from coach.participant_portal.services import withdraw_consent
from tests.browser.checks import assert_phone_friendly, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

MARK = "Suostumus peruttu"


async def test_the_coach_and_the_admin_see_withdrawn_consent_in_finnish(page):
    coach = await make_user("valmentaja")
    await make_user("yllapito", role="admin")
    group = await make_group("Ryhmä Kuopio", coaches=[coach])
    aino = await make_participant(group, "Aino")
    await make_participant(group, "Pekka", gender="male")
    assert await withdraw_consent(aino.id, today() - dt.timedelta(days=3))

    await sign_in(page, "valmentaja", DEFAULT_PASSWORD)
    await page.goto(f"/groups/{group.id}")
    aino_row = page.locator("#participants li", has_text="Aino")
    assert MARK in await aino_row.inner_text()
    assert MARK not in await page.locator("#participants li", has_text="Pekka").inner_text()
    await assert_phone_friendly(page, "group page")
    await screenshot(page, "withdrawn-group-fi")

    await aino_row.locator("a").click()
    await page.wait_for_url(f"**/participants/{aino.id}")
    notice = page.locator("#consent-withdrawn")
    assert await notice.is_visible()
    text = await notice.inner_text()
    assert MARK in text and "Ylläpitäjä poistaa hänen tietonsa" in text
    assert await page.locator("#news-form").count() == 0
    await assert_phone_friendly(page, "participant page")
    await screenshot(page, "withdrawn-participant-fi")

    await page.goto(f"/groups/{group.id}/meetings/new")
    row = page.locator(f"#toggle-{aino.id}")
    assert MARK in await row.inner_text()
    assert await row.locator("input").count() == 0
    await assert_phone_friendly(page, "meeting form")
    await screenshot(page, "withdrawn-meeting-fi")

    await page.context.clear_cookies()
    await sign_in(page, "yllapito", DEFAULT_PASSWORD)
    await page.goto("/")
    link = page.locator("#erasure-waiting a")
    assert await link.inner_text() == "Tietojen poistoa odottaa: 1"
    await link.click()
    await page.wait_for_url("**/admin/erasure")
    assert "Odottanut 3 päivää" in await page.locator("#erasure-queue").inner_text()
    await assert_phone_friendly(page, "erasure queue")
    await screenshot(page, "erasure-queue-fi")
