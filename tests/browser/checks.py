"""Checks a browser test runs on a page: accessibility (axe-core), touch targets, width."""

from __future__ import annotations

import json
import os
from pathlib import Path

from coach.i18n import LANGUAGES, gettext

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 44
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Every element a thumb may need to hit. Links inside running text are exempt
# (WCAG 2.5.5 makes the same exception), so only links that stand alone are measured.
TARGETS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const inText = (el) => el.tagName === 'A' && el.closest('p, td, dd, .meta');
  return [...document.querySelectorAll(selector)]
    .filter((el) => el.offsetParent !== null || el.getClientRects().length)
    .filter((el) => !inText(el))
    .map((el) => {
      // A checkbox or radio counts with its label: the label is what the thumb hits.
      const label = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
      const box = (label || el).getBoundingClientRect();
      return {html: (label || el).outerHTML.slice(0, 120), width: box.width, height: box.height};
    })
    .filter((t) => t.width > 0 && t.height > 0);
}
"""


def phone(base_url: str, **options) -> dict:
    """Return browser context options for a 360×740 phone with Finnish as its language."""
    return {"base_url": base_url, "viewport": {"width": 360, "height": 740},
            "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "fi-FI",
            **options}


def text(language: str, message: str, **values) -> str:
    """Return what a page shows for a msgid in a language: the catalogue's words, filled in.

    Tests take the words they look for from the translations, so a test in sv or en checks
    the Swedish or English page without copying (and mistyping) its sentences.
    """
    words = gettext(message, language)
    return words % values if values else words


async def use_language(context, base_url: str, language: str) -> None:
    """Choose the page language in a browser profile, as the language menu's cookie does."""
    assert language in LANGUAGES
    await context.add_cookies([{"name": "lang", "value": language, "url": base_url}])


async def inject_axe(page) -> None:
    """Load axe-core into the page.

    The CSP forbids inline scripts, so add_script_tag (an inline <script>) works only in a
    context made with bypass_csp=True; evaluate() runs through DevTools and is not blocked.
    """
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))


async def axe_violations(page, tags: list[str] | None = None) -> list[dict]:
    """Return axe-core's violations of WCAG 2.1 A and AA on the page as it is now."""
    await inject_axe(page)
    options = {"runOnly": {"type": "tag", "values": tags or WCAG_21_AA}}
    result = await page.evaluate(
        "async (options) => { const r = await axe.run(document, options);"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.html.slice(0, 160) + ' ' + n.failureSummary)})); }",
        options,
    )
    return result


async def assert_accessible(page, label: str = "") -> None:
    """Fail with axe-core's findings if the page breaks WCAG 2.1 A or AA."""
    violations = await axe_violations(page)
    assert not violations, f"axe-core on {label or page.url}:\n" + json.dumps(
        violations, indent=2, ensure_ascii=False)


async def assert_touch_targets(page, minimum: int = MIN_TARGET) -> None:
    """Fail if a button, field or stand-alone link is smaller than 44×44 CSS pixels."""
    small = [t for t in await page.evaluate(TARGETS_JS)
             if t["height"] < minimum - 0.5 or t["width"] < minimum - 0.5]
    assert not small, f"touch targets under {minimum} px on {page.url}:\n" + "\n".join(
        f"{t['width']:.0f}×{t['height']:.0f} {t['html']}" for t in small)


async def assert_fits_width(page) -> None:
    """Fail if the page scrolls sideways at the phone's width."""
    # clientWidth is the layout viewport (the device width); a phone browser would zoom
    # out to show wider content, which makes window.innerWidth grow with the page.
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


async def assert_phone_friendly(page, label: str = "") -> None:
    """Run every check: axe-core, touch targets, no sideways scrolling."""
    await assert_accessible(page, label)
    await assert_touch_targets(page)
    await assert_fits_width(page)


async def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-results/screenshots and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def doc_screenshot(page, name: str) -> None:
    """Save the phone's first screen as a README screenshot, when COACH_DOC_SCREENSHOTS is set."""
    if os.environ.get("COACH_DOC_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


async def sign_in(page, username: str, password: str) -> None:
    """Sign a staff member in through the login form, as a person would."""
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")
