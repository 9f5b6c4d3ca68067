"""Long lists of groups on a 360 px phone (issue 10, target 2): the admin's home and groups
page search by name and go page by page; every page passes axe and the phone checks."""

from __future__ import annotations

import pytest

from tests.browser.checks import assert_phone_friendly, sign_in, text, use_language
from tests.factories import DEFAULT_PASSWORD, make_group, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_admin_finds_a_group_among_many_on_a_phone(page, live_server, language):
    await make_user("yllapito", role="admin")
    for number in range(100):
        await make_group(f"Ryhmä {number:03d}")
    await use_language(page.context, live_server, language)
    await sign_in(page, "yllapito", DEFAULT_PASSWORD)

    await page.goto("/admin/groups")
    assert await page.locator("main ul.list > li").count() == 50
    await assert_phone_friendly(page, f"admin groups page 1 ({language})")
    await page.click("a[rel=next]")
    await page.wait_for_url("**/admin/groups?page=2")
    assert await page.locator("main ul.list > li").count() == 50
    await page.fill("#groups-q", "ryhmä 07")
    await page.click("form[role=search] button[type=submit]")
    await page.wait_for_url("**/admin/groups?q=*")
    names = await page.locator("main ul.list > li a").all_inner_texts()
    assert sorted(names) == [f"Ryhmä {number:03d}" for number in range(70, 80)]
    assert text(language, "Groups found: %(count)s", count=10) in await page.inner_text("main")
    await assert_phone_friendly(page, f"admin groups search ({language})")

    # The home: 40 groups in detail, the other 60 by name, a page at a time.
    await page.goto("/")
    assert await page.locator("#others-q").count() == 1
    await assert_phone_friendly(page, f"admin home ({language})")
    # A page that does not exist says which do (fetched aside: a 404 in the tab would be
    # reported as a console error).
    missing = await page.request.get("/?page=9")
    assert missing.status == 404
    assert text(language, "There is no such page. The groups fill pages 1 to %(pages)s.",
                pages=2) in await missing.text()
