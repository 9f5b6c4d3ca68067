"""Admin lists and charts on a 360 × 740 phone (issue 11, points 14 and 16).

The users list and the audit log are cards of label: value pairs, with nothing cut or
scrolled sideways, and the audit log downloads as CSV. In the participant's and the
coach's progress charts every band name reads at 14 px or more as rendered, lies clear of
the line and the dots, and stays inside the chart. The evaluator's charts are drawn for
the phone, and their tables either fit or scroll with a visible cue and the keyboard.
axe-core checks every page. Screenshots are kept under test-results/screenshots.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coach.assessments.tables import Assessment
from coach.audit.log import now, record
from coach.audit.tables import AuditEvent
from coach.auth.invites import create_invite
from coach.demo import create_demo
from coach.forms import today
from tests.browser.checks import SCREENSHOTS, assert_phone_friendly, screenshot, sign_in
from tests.factories import DEFAULT_PASSWORD, make_group, make_participant, make_user

pytestmark = pytest.mark.browser

MIN_TEXT_PX = 14
LABELS = {
    "fi": ("Aika", "Kuka", "Toiminnon koodi", "Kohde", "Lisätiedot", "Osoite"),
    "sv": ("Tid", "Vem", "Åtgärdskod"),
    "en": ("Time", "Who", "Action code", "Target", "Details", "Address"),
}
SIGNED_IN = {"fi": "Kirjautui sisään", "sv": "Loggade in", "en": "Signed in"}

# Each card: its right edge, and the right edges of everything inside it.
CARDS_JS = """
() => [...document.querySelectorAll('.records > li')].map((card) => {
  const box = card.getBoundingClientRect();
  const inner = [...card.querySelectorAll('*')].map((el) => el.getBoundingClientRect().right);
  return {right: box.right, innerRight: Math.max(...inner),
          labels: [...card.querySelectorAll('dt')].map((dt) => dt.textContent.trim()),
          values: card.querySelectorAll('dd').length};
})
"""

# For every band name of the progress charts: its size as rendered, whether it touches a
# dot or the line (sampled every pixel along the polyline), and whether it leaves the chart.
BAND_LABELS_JS = """
() => [...document.querySelectorAll('figure.chart:not(.chart--report) svg')].map((svg) => {
  const ctm = svg.getScreenCTM();
  const chart = svg.getBoundingClientRect();
  const toScreen = (p) => { const q = svg.createSVGPoint(); q.x = p.x; q.y = p.y;
                            const r = q.matrixTransform(ctm); return [r.x, r.y]; };
  const dots = [...svg.querySelectorAll('circle')].map((c) => c.getBoundingClientRect());
  const line = svg.querySelector('polyline');
  const points = line ? [...line.points].map(toScreen) : [];
  const samples = [];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1], [x1, y1] = points[i];
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let k = 0; k <= steps; k++) samples.push([x0 + (x1 - x0) * k / steps,
                                                   y0 + (y1 - y0) * k / steps]);
  }
  const half = line ? parseFloat(getComputedStyle(line).strokeWidth) * ctm.a / 2 : 0;
  const labels = [...svg.querySelectorAll('.chart__band-label')].map((text) => {
    const r = text.getBoundingClientRect();
    return {
      text: text.textContent.trim(),
      px: parseFloat(getComputedStyle(text).fontSize) * ctm.a,
      onDot: dots.some((d) => r.left < d.right && r.right > d.left
                              && r.top < d.bottom && r.bottom > d.top),
      onLine: samples.some(([x, y]) => x >= r.left - half && x <= r.right + half
                                        && y >= r.top - half && y <= r.bottom + half),
      inside: r.left >= chart.left - 0.5 && r.right <= chart.right + 0.5
              && r.top >= chart.top - 0.5 && r.bottom <= chart.bottom + 0.5,
    };
  });
  const figure = svg.closest('figure');
  return {labels, stripes: svg.querySelectorAll('rect').length,
          listed: figure.querySelectorAll('.chart__unplaced li').length, width: chart.width};
})
"""

# Every text of the evaluator's charts that is shown: its rendered size, and whether it is
# inside its chart.
REPORT_TEXT_JS = """
() => [...document.querySelectorAll('figure.chart--report svg')]
  .filter((svg) => svg.getBoundingClientRect().width > 0)
  .map((svg) => {
    const ctm = svg.getScreenCTM();
    const chart = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text')].map((text) => {
      const r = text.getBoundingClientRect();
      return {text: text.textContent.trim(), svg: svg.getAttribute('class'),
              px: parseFloat(getComputedStyle(text).fontSize) * ctm.a,
              inside: r.left >= chart.left - 0.5 && r.right <= chart.right + 0.5
                      && r.top >= chart.top - 0.5 && r.bottom <= chart.bottom + 0.5};
    });
  }).flat()
"""

TABLES_JS = """
() => [...document.querySelectorAll('.table-scroll')].map((box) => {
  const hint = box.querySelector('.scroll-hint');
  return {
    label: box.getAttribute('aria-label') || box.getAttribute('aria-labelledby') || '',
    overflows: box.scrollWidth > box.clientWidth + 1,
    focusable: box.getAttribute('tabindex') === '0',
    shadow: getComputedStyle(box).backgroundImage.includes('radial-gradient'),
    hint: !!hint && hint.getBoundingClientRect().width > 0,
    right: box.getBoundingClientRect().right,
  };
})
"""


async def set_language(page, live_server, language: str) -> None:
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_admin_lists_are_cards_that_fit_a_phone_and_the_log_downloads(
        page, live_server, language, tmp_path):
    await set_language(page, live_server, language)
    await make_user("admin", role="admin", display_name="Maire Ruuskanen")
    await make_user("coach.with.a.long.username@example-organisation.fi",
                    display_name="Valmentaja Pitkänimi-Esimerkkinen")
    # A long detail without spaces and an IPv6 address must wrap inside their card.
    await record("group.create", actor_label="admin", target_type="group", target_id=1,
                 detail={"name": "Työnhakuvalmennus" * 6},
                 ip="2001:0db8:85a3:0000:0000:8a2e:0370:7334")
    await sign_in(page, "admin", DEFAULT_PASSWORD)

    await page.goto("/admin/users")
    assert await page.locator("main table").count() == 0
    cards = await page.evaluate(CARDS_JS)
    assert len(cards) == 2
    assert all(card["innerRight"] <= card["right"] + 0.5 <= 360 for card in cards), cards
    await assert_phone_friendly(page, f"users ({language})")
    await screenshot(page, f"phone-admin-users-{language}")

    await page.goto("/admin/audit")
    assert await page.locator("main table").count() == 0
    cards = await page.evaluate(CARDS_JS)
    assert len(cards) >= 2  # the event above, and the admin's own sign-in
    for card in cards:  # every field of every event is shown, none hidden
        assert set(LABELS[language]) <= set(card["labels"]) and card["values"] == 6
        assert card["innerRight"] <= card["right"] + 0.5 <= 360
    titles = await page.locator(".record__title").all_inner_texts()
    assert SIGNED_IN[language] in titles
    assert "login.success" in await page.locator("main").inner_text()  # the code stays too
    await assert_phone_friendly(page, f"audit log ({language})")
    await screenshot(page, f"phone-admin-audit-{language}")

    async with page.expect_download() as info:
        await page.click("a[href^='/admin/audit.csv']")
    download = await info.value
    path = tmp_path / "audit.csv"
    await download.save_as(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("time_utc,user,role,action,action_in_words")
    assert any(",group.create," in line and "Työnhakuvalmennus" in line for line in lines)
    assert await AuditEvent.count().where(AuditEvent.action == "audit.export") == 1


async def add_series(participant, instrument: str, scores: list[float]) -> None:
    """Store one result a fortnight, the last one today."""
    start = today() - dt.timedelta(days=14 * (len(scores) - 1))
    for index, score in enumerate(scores):
        await Assessment(participant=participant.id, instrument=instrument,
                         instrument_version="1", taken_on=start + dt.timedelta(days=14 * index),
                         completed_at=now(), answers={}, raw_score=int(score), score=score,
                         band="b", mode="invite").save()


def assert_band_labels_read_well(charts: list[dict], where: str) -> None:
    assert charts, f"{where}: no progress chart"
    for chart in charts:
        labels = chart["labels"]
        assert labels, f"{where}: a chart has no band name at all: {chart}"
        # Every band is named: in the chart, or in the list under it.
        assert len(labels) + chart["listed"] == chart["stripes"], chart
        for label in labels:
            assert label["px"] >= MIN_TEXT_PX, f"{where}: too small: {label}"
            assert not label["onDot"] and not label["onLine"], f"{where}: covered: {label}"
            assert label["inside"], f"{where}: cut: {label}"


async def test_progress_chart_band_names_are_large_clear_of_the_line_and_whole(
        page, live_server, browser):
    coach = await make_user("ville", display_name="Ville")
    participant = await make_participant(await make_group(coaches=[coach]), "Aino")
    # Lines that run through the places band names have stood: along the top, across the
    # middle bands, and up to the top right.
    await add_series(participant, "who5", [96, 92, 40, 36, 60, 100, 24, 52, 88, 100, 100, 96])
    await add_series(participant, "was", [10, 6, 7, 9, 3, 10, 8, 6, 7, 10])
    await add_series(participant, "lifestyle", [90, 75, 45, 55, 20, 95, 70, 40])

    token = await create_invite(participant.id, created_by=None)
    await page.goto(f"/i/{token}")
    async with page.expect_navigation():
        await page.click(f"form[action='/i/{token}'] button[type=submit]")
    await page.goto("/me/progress")
    charts = await page.evaluate(BAND_LABELS_JS)
    assert len(charts) == 3
    assert_band_labels_read_well(charts, "participant")
    # The score tables fit the phone: no sideways scrolling at all.
    tables = await page.evaluate(TABLES_JS)
    assert tables and not any(table["overflows"] for table in tables), tables
    await assert_phone_friendly(page, "participant's progress")
    await screenshot(page, "phone-progress-charts-fi")
    for index in range(3):  # each chart on its own, to look at closely
        await page.locator("figure.chart").nth(index).screenshot(
            path=str(SCREENSHOTS / f"phone-progress-chart-{index}-fi.png"))

    coach_context = await browser.new_context(**{
        "base_url": live_server, "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "fi-FI",
        "service_workers": "block"})
    coach_page = await coach_context.new_page()
    try:
        await sign_in(coach_page, "ville", DEFAULT_PASSWORD)
        await coach_page.goto(f"/participants/{participant.id}")
        charts = await coach_page.evaluate(BAND_LABELS_JS)
        assert len(charts) == 3
        assert_band_labels_read_well(charts, "coach")
        await assert_phone_friendly(coach_page, "coach's participant page")
        await screenshot(coach_page, "phone-coach-participant-charts-fi")
    finally:
        await coach_context.close()


async def test_report_charts_read_at_14_px_and_their_tables_scroll_with_a_cue(page):
    await create_demo(seed=5, password=DEFAULT_PASSWORD, groups=9, participants=75)
    await sign_in(page, "evaluator", DEFAULT_PASSWORD)
    await page.goto("/reports")
    texts = await page.evaluate(REPORT_TEXT_JS)
    assert len(texts) > 20
    assert all("narrow" in text["svg"] for text in texts)  # the wide charts are hidden
    small = [text for text in texts if text["px"] < MIN_TEXT_PX]
    assert not small, f"chart text under {MIN_TEXT_PX} px: {small[:5]}"
    cut = [text for text in texts if not text["inside"]]
    assert not cut, f"chart text cut at the edge: {cut[:5]}"

    tables = await page.evaluate(TABLES_JS)
    wide = [table for table in tables if table["overflows"]]
    assert wide, "no table is wider than the phone: the cue is not tested"
    for table in wide:
        assert table["focusable"] and table["label"], table
        assert table["shadow"] and table["hint"], table
    assert all(table["right"] <= 360.5 for table in tables)
    await assert_phone_friendly(page, "reports at 360 px")
    await screenshot(page, "phone-report-charts-fi")
