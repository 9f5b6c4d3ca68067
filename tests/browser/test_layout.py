"""The page layout in a real phone-sized browser: accessible, thumb-sized, CSP-clean, offline."""

from __future__ import annotations

import pytest

from tests.browser.checks import (
    assert_fits_width,
    assert_phone_friendly,
    assert_touch_targets,
    axe_violations,
    phone,
    screenshot,
    sign_in,
)
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_sign_in_page_is_accessible_in_every_language(page, live_server, language):
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    await page.goto("/login")
    assert await page.get_attribute("html", "lang") == language
    await assert_phone_friendly(page, f"/login ({language})")
    await screenshot(page, f"login-{language}")


async def test_language_switcher_works_without_javascript(browser, live_server):
    context = await browser.new_context(**phone(live_server, java_script_enabled=False))
    page = await context.new_page()
    await page.goto("/login")
    assert await page.get_attribute("html", "lang") == "fi"
    await page.click("button[lang=sv]")
    await page.wait_for_load_state()
    assert await page.get_attribute("html", "lang") == "sv"
    assert page.url.endswith("/login")
    await context.close()


async def test_htmx_runs_under_the_csp_with_eval_off(page):
    await page.goto("/login")
    await page.wait_for_function("() => window.htmx !== undefined")
    config = await page.evaluate(
        "() => [htmx.config.allowEval, htmx.config.includeIndicatorStyles,"
        " htmx.config.historyCacheSize, document.querySelectorAll('style').length]")
    assert config == [False, False, 0, 0]
    # The page fixture fails the test on any console error, CSP violations included.


async def test_signed_in_layout_has_menu_and_sign_out(page):
    await make_user("kaisa", "coach")
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    nav = page.get_by_role("navigation", name="Päävalikko")
    await nav.get_by_role("button", name="Kirjaudu ulos").wait_for()
    await assert_phone_friendly(page, "home page of a coach")
    await screenshot(page, "coach-home-fi")
    async with page.expect_navigation():
        await nav.get_by_role("button", name="Kirjaudu ulos").click()
    assert "/login" in page.url


async def test_focus_is_visible_on_keyboard_navigation(page):
    await page.goto("/login")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.className, s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert focused[0] == "skip-link"
    assert focused[1] == "solid" and focused[2] >= 2
    skip = await page.evaluate("() => document.activeElement.getBoundingClientRect().top")
    assert skip >= 0  # the skip link comes into view when focused


async def test_reduced_motion_turns_transitions_off(page):
    await page.emulate_media(reduced_motion="reduce")
    await page.goto("/login")
    duration = await page.evaluate(
        "() => { const e = document.createElement('span');"
        " e.className = 'htmx-indicator htmx-request'; document.body.append(e);"
        " return getComputedStyle(e).transitionDuration; }")
    assert duration in ("1e-05s", "0.00001s")


async def test_service_worker_caches_static_files_only_and_serves_the_offline_page(
        browser, live_server):
    context = await browser.new_context(**phone(live_server, service_workers="allow"))
    page = await context.new_page()
    await make_user("kaisa", "coach")
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.evaluate("() => navigator.serviceWorker.ready")
    cached = await page.evaluate(
        "async () => { const out = []; for (const name of await caches.keys()) {"
        " const cache = await caches.open(name);"
        " for (const request of await cache.keys()) out.push(new URL(request.url).pathname); }"
        " return out; }")
    assert "/offline" in cached and "/static/app.css" in cached
    assert all(path.startswith("/static/") or path == "/offline" for path in cached), cached

    await context.set_offline(True)
    await page.goto("/login")
    assert await page.locator("h1").inner_text() == "Ei verkkoyhteyttä"
    await assert_phone_friendly(page, "offline page")
    await screenshot(page, "offline")
    await context.close()


async def test_the_checks_catch_a_broken_page(page):
    # The checks must be able to fail: a field without a label, a tiny button, a wide box.
    await page.goto("/offline")
    await page.evaluate(
        "() => { document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input type=text><button class=x>b</button><div class=wide></div>');"
        " document.querySelector('.x').style.cssText = 'min-height:0;padding:0;width:20px';"
        " document.querySelector('.wide').style.cssText = 'width:900px;height:1rem'; }")
    ids = {violation["id"] for violation in await axe_violations(page)}
    assert "label" in ids
    with pytest.raises(AssertionError, match="touch targets"):
        await assert_touch_targets(page)
    with pytest.raises(AssertionError, match="wide"):
        await assert_fits_width(page)


async def test_boosted_navigation_moves_focus_to_the_new_page(page):
    await make_user("kaisa", "coach")
    await sign_in(page, "kaisa", DEFAULT_PASSWORD)
    await page.wait_for_function("() => window.htmx !== undefined")
    await page.get_by_role("link", name="Omat ryhmät").click()
    await page.wait_for_function("() => document.activeElement.id === 'main'")
    assert await page.evaluate("() => document.querySelectorAll('style').length") == 0
