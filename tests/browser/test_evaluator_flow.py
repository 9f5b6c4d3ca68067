"""The evaluator in a real browser: the reports at laptop and phone size, the zip, the policy.

The database holds the demo of nine groups and 75 participants, so the charts show numbers
as well as suppressed points. axe-core checks every page; no participant's name may appear
on any page or in any file of the zip. Set COACH_DOC_SCREENSHOTS=1 to refresh the README's
report screenshots in docs/screenshots.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import anyio
import pytest

from coach.demo import create_demo
from coach.participants.tables import Participant
from tests.browser.checks import SCREENSHOTS, assert_accessible, phone, screenshot, sign_in

pytestmark = pytest.mark.browser


def expect(locator):
    """Return Playwright's expect(); imported here so that plain pytest can collect the file."""
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


PASSWORD = "demo-password-2026"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOC_SHOTS = {"report-trends-en", "report-trends-phone-fi", "report-funder-en"}
# Where the README's screenshot of a page starts: its first chart or table of numbers.
DOC_TOPS = {"/reports": "#trends-heading", "/reports/funder": "main .table-scroll"}
LAPTOP = {"width": 1280, "height": 800}
PHONE_WIDTH = 360
REPORT_PAGES = ("/reports", "/reports/summary", "/reports/funder", "/exports")
PACKAGE = {"participants.csv", "assessments.csv", "answers.csv", "sessions.csv",
           "attendance.csv", "status_history.csv", "codebook.csv", "codebook.md",
           "datapackage.json"}

# Every page names the policy in force the same way.
POLICY_TEXT = {
    "en": dict.fromkeys(("/reports", "/reports/summary", "/reports/funder", "/exports"),
                        "Standard disclosure policy"),
    "fi": dict.fromkeys(("/reports", "/reports/summary", "/reports/funder", "/exports"),
                        "Tavallinen tietosuojakäytäntö"),
}

CHARTS_JS = """
() => [...document.querySelectorAll('figure.chart--report')].map((figure) => {
  const svg = figure.querySelector('svg');
  const next = figure.nextElementSibling;
  const text = (selector) => (svg && svg.querySelector(selector)?.textContent.trim()) || '';
  return {
    title: text('title'), desc: text('desc'),
    named: svg ? (svg.getAttribute('aria-labelledby') || '').split(' ')
      .map((id) => document.getElementById(id)?.tagName.toLowerCase()).join(' ') : '',
    table: !!(next && next.matches('.table-scroll') && next.querySelector('table caption')),
    shown: svg ? svg.querySelectorAll(
      'circle.chart__dot, rect.chart__share:not(.chart__share--hidden)').length : 0,
    suppressed: svg ? [...svg.querySelectorAll('text.chart__suppressed')]
      .filter((mark) => mark.textContent.trim() === '×').length : 0,
    suppressedCells: next ? next.querySelectorAll('td .visually-hidden').length : 0,
  };
})
"""


@pytest.fixture
async def demo_names() -> list[str]:
    """Fill the run's database like `coach demo --groups 9 --participants 75`; return the names."""
    await create_demo(seed=5, password=PASSWORD, groups=9, participants=75)
    names = await Participant.select(Participant.display_name).output(as_list=True)
    assert len(names) == 75
    return [name for name in names if name]


def names_in(text: str, names: list[str]) -> list[str]:
    """Return the participant names that occur in text as whole words."""
    return [name for name in names
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]


async def open_browser(browser, live_server: str, size: str, language: str):
    """Return a fresh context and page at laptop or phone size, in the given language."""
    if size == "phone":
        options = phone(live_server, service_workers="block", accept_downloads=True)
    else:
        options = {"base_url": live_server, "viewport": LAPTOP, "locale": "en-GB",
                   "service_workers": "block", "accept_downloads": True}
    context = await browser.new_context(**options)
    await context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors  # type: ignore[attr-defined]
    return context, page


async def close(context, page) -> None:
    errors = page.console_errors
    await context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)


async def shoot(page, name: str, top: str | None = None) -> None:
    """Keep a full-page screenshot in test-results; on request, a screen's worth in docs."""
    await screenshot(page, name)
    if os.environ.get("COACH_DOC_SCREENSHOTS") and name in DOC_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        if top:
            await page.locator(top).first.evaluate("(e) => e.scrollIntoView({block: 'start'})")
        else:
            await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


async def check_page(page, label: str, size: str, names: list[str]) -> None:
    """No participant's name, no axe-core violations, and no sideways scrolling on a phone."""
    leaked = names_in(await page.content(), names)
    assert not leaked, f"participant names on {label}: {leaked}"
    await assert_accessible(page, label)
    if size == "phone":
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{label} is {width} px wide at {PHONE_WIDTH} px"


async def check_charts(page, label: str) -> list[dict]:
    """Every chart has a title and a description and is followed by a table of its numbers."""
    charts = await page.evaluate(CHARTS_JS)
    assert len(charts) == 4, f"{label}: {charts}"
    for chart in charts:
        assert chart["title"] and chart["desc"], f"{label}: a chart lacks title/desc: {chart}"
        assert chart["named"] == "title desc", f"{label}: not named by title/desc: {chart}"
        assert chart["table"], f"{label}: a chart is not followed by its table: {chart}"
    return charts


@pytest.mark.parametrize(("size", "language"), [("laptop", "en"), ("phone", "fi")])
async def test_evaluator_reads_every_report_without_a_name_on_it(
        browser, live_server, demo_names, size, language):
    context, page = await open_browser(browser, live_server, size, language)
    await sign_in(page, "evaluator", PASSWORD)
    assert page.url.rstrip("/") == live_server
    assert await page.get_attribute("html", "lang") == language
    await page.locator(f"main a[href='{REPORT_PAGES[0]}']").wait_for()
    await check_page(page, f"home ({size})", size, demo_names)
    await screenshot(page, f"evaluator-home-{size}-{language}")

    for path in REPORT_PAGES:
        await page.goto(path)
        await page.locator("main h1").wait_for()
        label = f"{path} ({size}, {language})"
        main = await page.locator("main").inner_text()
        assert POLICY_TEXT[language][path] in main, f"{label} does not name the policy"
        await check_page(page, label, size, demo_names)
        if path == "/reports":
            charts = await check_charts(page, label)
            # Nine groups of about eight: the all-groups view shows real numbers.
            assert all(chart["shown"] > 0 for chart in charts), charts
        name = {"/reports": "report-trends", "/reports/summary": "report-summary",
                "/reports/funder": "report-funder", "/exports": "exports"}[path]
        shot = f"{name}-en" if size == "laptop" else f"{name}-phone-{language}"
        await shoot(page, shot, top=DOC_TOPS.get(path))

    # One group of about eight: its heading is the group's name, and small months are
    # marked × in the charts and named "suppressed" in their tables.
    await page.goto("/reports")
    option = page.locator("#filter-group option").nth(1)
    group_name = (await option.inner_text()).strip()
    await page.select_option("#filter-group", label=group_name)
    await page.locator("form.report-filter button[type=submit]").click()
    await expect(page.locator("#report > h2").first).to_have_text(group_name)
    assert "group=" in page.url
    charts = await check_charts(page, f"/reports for {group_name}")
    assert sum(chart["suppressed"] for chart in charts) > 0, charts
    assert sum(chart["suppressedCells"] for chart in charts) > 0, charts
    await check_page(page, f"/reports for one group ({size})", size, demo_names)
    await screenshot(page, f"report-trends-group-{size}-{language}")
    await page.locator("figure.chart--report").first.screenshot(
        path=str(SCREENSHOTS / f"report-trends-group-chart-{size}-{language}.png"))
    await close(context, page)


async def test_evaluator_downloads_the_zip_and_it_holds_no_name(
        browser, live_server, demo_names):
    context, page = await open_browser(browser, live_server, "laptop", "en")
    await sign_in(page, "evaluator", PASSWORD)
    await page.goto("/exports")
    button = page.get_by_role("button", name="Download the zip")
    async with page.expect_download() as info:
        await button.click()
    download = await info.value
    assert download.suggested_filename.endswith(".zip")
    data = await anyio.Path(await download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name.rsplit("/", 1)[-1]: archive.read(name) for name in archive.namelist()}
    assert PACKAGE <= set(files), sorted(files)
    for name, content in files.items():
        text = content.decode("utf-8-sig")
        assert text.strip(), f"{name} is empty"
        leaked = names_in(text, demo_names)
        assert not leaked, f"participant names in {name}: {leaked}"
    participants = files["participants.csv"].decode("utf-8-sig").splitlines()
    assert len(participants) > 1  # a header and rows
    await close(context, page)


async def test_admin_switches_to_strict_and_the_reports_name_it(
        browser, live_server, demo_names):
    context, page = await open_browser(browser, live_server, "laptop", "en")
    await sign_in(page, "admin", PASSWORD)
    await page.goto("/admin/disclosure")
    await check_page(page, "/admin/disclosure", "laptop", demo_names)
    await page.locator("label.choice", has=page.locator("input[value=strict]")).click()
    assert await page.is_checked("input[name=policy][value=strict]")
    async with page.expect_navigation():
        await page.locator("form[action='/admin/disclosure'] button[type=submit]").click()
    await expect(page.locator(".flash--success")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Strict disclosure policy")

    await page.goto("/reports")
    await expect(page.locator(".policy-note")).to_contain_text("Strict disclosure policy")
    await check_page(page, "/reports under the strict policy", "laptop", demo_names)
    await check_charts(page, "/reports (strict)")
    await page.goto("/reports/funder")
    await expect(page.locator("#funder-policy")).to_have_text("Strict disclosure policy")
    await close(context, page)
