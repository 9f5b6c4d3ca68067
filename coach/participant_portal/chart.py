"""Geometry of a progress chart; the template draws it as inline SVG (no chart library).

The chart is drawn for a phone: at 360 px its 320 units are about 290-330 px wide, so
a band's name written 16 units tall shows at 14 px or more. Each name goes where its
band has room and the line and the dots do not pass; a name that fits nowhere is listed
under the chart instead, so a name is never under the line, cut, or too small to read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coach.assessments.services import Progress

WIDTH, HEIGHT = 320, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 28  # room for the axis labels
LABEL_FONT = 16  # in the chart's units; the template writes the same size
# A generous guess of a name's box: wider than common sans-serif fonts draw it, so a name
# placed by this guess is clear of the line in the browser too.
CHAR_WIDTH = 0.62 * LABEL_FONT
LABEL_HEIGHT = 1.25 * LABEL_FONT
LABEL_PAD = 3  # between a name and its band's edge
CLEARANCE = 4  # between a name and the line (half its width and a gap) or a dot
DOT_RADIUS = 6
SLIDE = 8  # how far a name moves left when the line is in its way
TICK_SPACING = 18  # the least distance between two numbers on the score axis (14 px text)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    taken_on: dt.date
    score: float


@dataclass(frozen=True)
class Stripe:
    y: float
    height: float
    label: str  # "" when the band's name is not written in it
    shaded: bool
    label_x: float = 0.0  # where the name ends (text-anchor="end")
    label_y: float = 0.0  # the name's baseline


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def near(self, x: float, y: float, margin: float) -> bool:
        return (self.left - margin <= x <= self.right + margin
                and self.top - margin <= y <= self.bottom + margin)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    dots: list[Dot]
    line: str  # the "points" attribute of a polyline
    stripes: list[Stripe]
    ticks: list[tuple[float, str]]  # (y, score)
    left: int
    right: int
    top: int
    bottom: float
    unplaced: list[str]  # "Excellent (10)": bands whose name fits nowhere in the chart
    label_font: int = LABEL_FONT


def _fmt(value: float) -> str:
    return f"{value:g}"


def chart_for(progress: Progress) -> Chart:
    """Place a series on a chart: time left to right, the score's full range bottom to top."""
    scoring = progress.instrument.scoring
    low, high = scoring.min_score, scoring.max_score
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(score: float) -> float:
        return round(TOP + plot_h * (high - score) / (high - low), 1)

    first, last = progress.points[0].taken_on, progress.points[-1].taken_on
    span = (last - first).days
    dots = []
    for index, point in enumerate(progress.points):
        if span:
            share = (point.taken_on - first).days / span
        else:
            # All on one day (or one point): spread evenly so every dot shows.
            count = len(progress.points)
            share = index / (count - 1) if count > 1 else 0.5
        dots.append(
            Dot(round(LEFT + plot_w * share, 1), y_of(point.score), point.taken_on, point.score)
        )
    stripes, unplaced = [], []
    bands = scoring.bands
    for index, band in enumerate(bands):
        # Stripes meet halfway between bands, so a one-value band (10 of 10) still shows.
        upper = high if index == len(bands) - 1 else (band.max + bands[index + 1].min) / 2
        lower = low if index == 0 else (bands[index - 1].max + band.min) / 2
        top, bottom = y_of(upper), y_of(lower)
        stripe = Stripe(top, round(bottom - top, 1), "", index % 2 == 0)
        name = band.label.get(progress.language)
        placed = place_label(name, stripe, dots, LEFT, WIDTH - RIGHT)
        if placed is None and name:
            scores = (_fmt(band.min) if band.min == band.max
                      else f"{_fmt(band.min)}–{_fmt(band.max)}")
            unplaced.append(f"{name} ({scores})")
        stripes.append(placed or stripe)
    ticks = [(y_of(low), _fmt(low)), (y_of(high), _fmt(high))]
    for band in scoring.bands[:-1]:
        # A band's upper score is numbered only where it does not crowd another number.
        y = y_of(band.max)
        if all(abs(y - kept) >= TICK_SPACING for kept, _text in ticks):
            ticks.append((y, _fmt(band.max)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        dots=dots,
        line=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        stripes=stripes,
        ticks=sorted(set(ticks)),
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=TOP + plot_h,
        unplaced=unplaced,
    )


def label_box(name: str, end_x: float, baseline: float) -> Box:
    """Return the box a name ending at end_x takes, by the generous guess of its width."""
    # About four fifths of a line's height lie above the baseline.
    top = baseline - 0.8 * LABEL_HEIGHT
    return Box(end_x - len(name) * CHAR_WIDTH, top, end_x, top + LABEL_HEIGHT)


def crosses(box: Box, dots: list[Dot]) -> bool:
    """Say whether a dot, or the line through the dots, comes near the box."""
    if any(box.near(dot.x, dot.y, DOT_RADIUS + CLEARANCE) for dot in dots):
        return True
    near = Box(box.left - CLEARANCE, box.top - CLEARANCE,
               box.right + CLEARANCE, box.bottom + CLEARANCE)
    return any(segment_meets(near, start.x, start.y, end.x, end.y)
               for start, end in zip(dots, dots[1:], strict=False))


def segment_meets(box: Box, x0: float, y0: float, x1: float, y1: float) -> bool:
    """Say whether the segment from (x0, y0) to (x1, y1) touches the box (edges included).

    Clips the segment's parameter range [0, 1] to each of the box's four sides in turn
    (Liang and Barsky's method): exact, and a handful of comparisons, where walking the
    segment point by point cost a page's time on every label position tried.
    """
    start, end = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for towards, room in ((-dx, x0 - box.left), (dx, box.right - x0),
                          (-dy, y0 - box.top), (dy, box.bottom - y0)):
        if towards == 0:
            if room < 0:  # parallel to this side and outside it
                return False
            continue
        share = room / towards
        if towards < 0:  # entering across this side
            if share > end:
                return False
            start = max(start, share)
        else:  # leaving across this side
            if share < start:
                return False
            end = min(end, share)
    return True


def place_label(name: str, stripe: Stripe, dots: list[Dot], left: float,
                right: float) -> Stripe | None:
    """Return the stripe with its name placed clear of the line, or None if it fits nowhere."""
    if not name or stripe.height < LABEL_HEIGHT + 2 * LABEL_PAD:
        return None
    baselines = (stripe.y + LABEL_PAD + 0.8 * LABEL_HEIGHT,  # at the top of the band
                 stripe.y + stripe.height - LABEL_PAD - 0.2 * LABEL_HEIGHT)  # at its bottom
    width = len(name) * CHAR_WIDTH
    for baseline in baselines:
        # From the right edge leftwards, where names have always stood; the first spot
        # clear of the line wins.
        end_x = right - LABEL_PAD
        while end_x - width >= left + LABEL_PAD:
            if not crosses(label_box(name, end_x, baseline), dots):
                return Stripe(stripe.y, stripe.height, name, stripe.shaded,
                              round(end_x, 1), round(baseline, 1))
            end_x -= SLIDE
    return None
