"""Geometry of the evaluator's charts; templates draw them as inline SVG (no chart library).

Time runs left to right in whole months since the group's start. Each chart keeps
its points' numbers too, so the table beside it shows exactly what it draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.reports.trend_report import MeanPoint, SharePoint
from coach.reports.trends import STATUS_SHARES

WIDTH, HEIGHT = 640, 266
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 46  # room for the axis labels


@dataclass(frozen=True)
class Mark:
    x: float
    y: float | None  # the mean; None when suppressed
    low: float | None
    high: float | None
    month: int
    label: str  # "n=7", or "×" for a suppressed point


@dataclass(frozen=True)
class Segment:
    share: str  # a STATUS_SHARES value, or "hidden"
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    month: int
    segments: list[Segment]
    suppressed: bool
    label: str


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]


def _frame(months: list[int], low: float, high: float, tick_values: list[float],
           tick_text) -> tuple[Frame, callable, callable]:
    first, last = (months[0], months[-1]) if months else (0, 1)
    span = max(last - first, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(month: float) -> float:
        # Half a step of margin at both ends, so the first and last marks are not clipped.
        return round(LEFT + plot_w * (month - first + 0.5) / (span + 1), 1)

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (high - value) / (high - low), 1)

    step = max(1, round(span / 12))
    x_ticks = [(x_of(m), str(m)) for m in range(first, last + 1, step)]
    y_ticks = [(y_of(v), tick_text(v)) for v in tick_values]
    frame = Frame(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, y_ticks, x_ticks)
    return frame, x_of, y_of


@dataclass(frozen=True)
class MeanChart:
    frame: Frame
    marks: list[Mark]
    lines: list[str]  # polylines through the shown means of consecutive months
    empty: bool  # no point at all
    all_suppressed: bool


def mean_chart(points: list[MeanPoint], low: float, high: float, ticks: list[float],
               percent: bool = False) -> MeanChart:
    """Place monthly means and their intervals on a chart of a fixed score range."""
    months = [point.month for point in points]
    scale = 100 if percent else 1

    def tick_text(value: float) -> str:
        return f"{value * scale:g}" + (" %" if percent else "")

    frame, x_of, y_of = _frame(months, low, high, ticks, tick_text)
    marks = []
    for point in points:
        x = x_of(point.month)
        if point.suppressed or point.mean is None:
            marks.append(Mark(x, None, None, None, point.month, "×"))
            continue
        marks.append(Mark(
            x, y_of(point.mean),
            y_of(max(low, point.low)) if point.low is not None else None,
            y_of(min(high, point.high)) if point.high is not None else None,
            point.month, f"n={point.n}",
        ))
    # The line joins shown points of consecutive months only: a hidden month or a month
    # without data breaks it, so it never suggests values that are not there.
    lines, run = [], []
    for mark in marks:
        if mark.y is None or (run and mark.month != run[-1].month + 1):
            if len(run) > 1:
                lines.append(" ".join(f"{m.x},{m.y}" for m in run))
            run = []
        if mark.y is not None:
            run.append(mark)
    if len(run) > 1:
        lines.append(" ".join(f"{m.x},{m.y}" for m in run))
    shown = [mark for mark in marks if mark.y is not None]
    return MeanChart(frame, marks, lines, not points, bool(points) and not shown)


@dataclass(frozen=True)
class ShareChart:
    frame: Frame
    bars: list[Bar]
    empty: bool
    all_suppressed: bool


def share_chart(points: list[SharePoint]) -> ShareChart:
    """Stack each month's labour-market shares into a bar of 100%."""
    months = [point.month for point in points]
    frame, x_of, y_of = _frame(months, 0.0, 1.0, [0, 0.25, 0.5, 0.75, 1.0],
                               lambda v: f"{v * 100:g} %")
    span = max((months[-1] - months[0]) if months else 1, 1)
    width = round((WIDTH - LEFT - RIGHT) / (span + 1) * 0.7, 1)
    bars = []
    for point in points:
        x = round(x_of(point.month) - width / 2, 1)
        if point.suppressed:
            bars.append(Bar(x, width, point.month, [Segment("hidden", y_of(1.0), y_of(0.0)
                                                             - y_of(1.0))], True, "×"))
            continue
        segments, level = [], 0.0
        for share in (*STATUS_SHARES, "hidden"):
            fraction = point.hidden_share if share == "hidden" else point.shares[share]
            if not fraction:
                continue
            top, bottom = y_of(level + fraction), y_of(level)
            segments.append(Segment(share, top, round(bottom - top, 1)))
            level += fraction
        bars.append(Bar(x, width, point.month, segments, False, f"n={point.total}"))
    return ShareChart(frame, bars, not points,
                      bool(points) and all(point.suppressed or point.hidden_share >= 1
                                           for point in points))
