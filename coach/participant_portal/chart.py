"""Geometry of a progress chart; the template draws it as inline SVG (no chart library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coach.assessments.services import Progress

WIDTH, HEIGHT = 320, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 28  # room for the axis labels
MIN_LABEL_HEIGHT = 14  # a band's name is written only where it fits


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
    label: str
    shaded: bool


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
    stripes = []
    bands = scoring.bands
    for index, band in enumerate(bands):
        # Stripes meet halfway between bands, so a one-value band (10 of 10) still shows.
        upper = high if index == len(bands) - 1 else (band.max + bands[index + 1].min) / 2
        lower = low if index == 0 else (bands[index - 1].max + band.min) / 2
        top, bottom = y_of(upper), y_of(lower)
        height = round(bottom - top, 1)
        label = band.label.get(progress.language) if height >= MIN_LABEL_HEIGHT else ""
        stripes.append(Stripe(top, height, label, index % 2 == 0))
    ticks = [(y_of(low), _fmt(low)), (y_of(high), _fmt(high))]
    ticks += [(y_of(band.max), _fmt(band.max)) for band in scoring.bands[:-1]]
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
    )
