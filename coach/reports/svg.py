"""Geometry of the evaluator's charts; templates draw them as inline SVG (no chart library).

Time runs left to right in whole months since the group's start. Each chart keeps
its points' numbers too, so the table beside it shows exactly what it draws.

Every chart is laid out twice: WIDE for a laptop, and NARROW for a phone (the page shows
one by the screen's width). At 360 px the wide chart would shrink to half its size and
its text to 5 px; the narrow one is drawn at about the size it is shown, with text of
15 units (14 px or more), fewer month numbers, and n under a month only where it fits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coach.reports.trend_report import MeanPoint, SharePoint
from coach.reports.trends import STATUS_SHARES


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    left: int  # room for the axis labels
    right: int
    top: int
    bottom: int
    font: int  # the size of the text, in the chart's units (the CSS sets the same)
    x_ticks: int  # about how many months are numbered
    line_gap: int  # from one row of text under the axis to the next


WIDE = Layout("wide", 640, 266, 48, 12, 14, 46, font=11, x_ticks=12, line_gap=14)
NARROW = Layout("narrow", 340, 280, 56, 12, 12, 64, font=15, x_ticks=6, line_gap=19)
CHAR_WIDTH = 0.62  # a generous guess of a character's width, as a share of the font size
BAR_SHARE = 0.7  # of its month's room along the axis, a bar takes this much


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
    layout: str = WIDE.name
    n_y: float = 0.0  # baselines of the rows of text under the axis: n, month, axis title
    month_y: float = 0.0
    title_y: float = 0.0
    font: int = WIDE.font
    month_width: float = 0.0  # the room each month has along the axis
    show_n: bool = True  # "n=12" under each month only where it fits


def _frame(months: list[int], low: float, high: float, tick_values: list[float],
           tick_text, layout: Layout = WIDE) -> tuple[Frame, callable, callable]:
    first, last = (months[0], months[-1]) if months else (0, 1)
    span = max(last - first, 1)
    plot_w = layout.width - layout.left - layout.right
    plot_h = layout.height - layout.top - layout.bottom

    def x_of(month: float) -> float:
        # Half a step of margin at both ends, so the first and last marks are not clipped.
        return round(layout.left + plot_w * (month - first + 0.5) / (span + 1), 1)

    def y_of(value: float) -> float:
        return round(layout.top + plot_h * (high - value) / (high - low), 1)

    step = max(1, round(span / layout.x_ticks))
    x_ticks = [(x_of(m), str(m)) for m in range(first, last + 1, step)]
    y_ticks = [(y_of(v), tick_text(v)) for v in tick_values]
    bottom = layout.height - layout.bottom
    frame = Frame(layout.width, layout.height, layout.left, layout.width - layout.right,
                  layout.top, bottom, y_ticks, x_ticks, layout.name,
                  n_y=bottom + layout.line_gap, month_y=bottom + 2 * layout.line_gap,
                  title_y=layout.height - 4, font=layout.font, month_width=plot_w / (span + 1))
    return frame, x_of, y_of


def _with_n_labels(frame: Frame, labels: list[str]) -> Frame:
    """Return the frame saying whether every month's "n=12" fits under it without touching."""
    longest = max((len(label) for label in labels), default=0)
    return replace(frame, show_n=frame.month_width >= longest * CHAR_WIDTH * frame.font + 4)


@dataclass(frozen=True)
class MeanChart:
    frame: Frame
    marks: list[Mark]
    lines: list[str]  # polylines through the shown means of consecutive months
    empty: bool  # no point at all
    all_suppressed: bool
    narrow: MeanChart | None = None  # the same chart laid out for a phone


def mean_chart(points: list[MeanPoint], low: float, high: float, ticks: list[float],
               percent: bool = False) -> MeanChart:
    """Place monthly means and their intervals on a chart, wide and narrow."""
    wide = _mean_chart(points, low, high, ticks, percent, WIDE)
    return replace(wide, narrow=_mean_chart(points, low, high, ticks, percent, NARROW))


def _mean_chart(points: list[MeanPoint], low: float, high: float, ticks: list[float],
                percent: bool, layout: Layout) -> MeanChart:
    months = [point.month for point in points]
    scale = 100 if percent else 1

    def tick_text(value: float) -> str:
        return f"{value * scale:g}" + (" %" if percent else "")

    frame, x_of, y_of = _frame(months, low, high, ticks, tick_text, layout)
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
    frame = _with_n_labels(frame, [mark.label for mark in marks])
    return MeanChart(frame, marks, lines, not points, bool(points) and not shown)


@dataclass(frozen=True)
class ShareChart:
    frame: Frame
    bars: list[Bar]
    empty: bool
    all_suppressed: bool
    narrow: ShareChart | None = None  # the same chart laid out for a phone


def share_chart(points: list[SharePoint]) -> ShareChart:
    """Stack each month's labour-market shares into a bar of 100%, wide and narrow."""
    return replace(_share_chart(points, WIDE), narrow=_share_chart(points, NARROW))


def _share_chart(points: list[SharePoint], layout: Layout) -> ShareChart:
    months = [point.month for point in points]
    frame, x_of, y_of = _frame(months, 0.0, 1.0, [0, 0.25, 0.5, 0.75, 1.0],
                               lambda v: f"{v * 100:g} %", layout)
    width = round(frame.month_width * BAR_SHARE, 1)
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
    frame = _with_n_labels(frame, [bar.label for bar in bars])
    return ShareChart(frame, bars, not points,
                      bool(points) and all(point.suppressed or point.hidden_share >= 1
                                           for point in points))
