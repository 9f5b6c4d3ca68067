"""The evaluator's trends for one scope, after disclosure control over every scope.

Per-group aggregates come from coach.reports.trends; here they are summed up the
hierarchy (group -> cohort year -> all groups), protected as a whole, and the
chosen scope's cells are turned into points that a chart and a table can show.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from coach.assessments.instruments import Instrument, get_instrument
from coach.reports import trends
from coach.reports.disclosure import Grid, Policy, protect
from coach.reports.scope import Groups, Scope
from coach.reports.stats import mean_interval
from coach.reports.trends import STATUS_SHARES, AttendanceSums, ChangeSums, Sums

TOTAL = "total"


@dataclass(frozen=True)
class MeanPoint:
    month: int
    n: int | None  # as shown (rounded under "strict"); None when suppressed
    mean: float | None
    low: float | None
    high: float | None
    suppressed: bool


@dataclass(frozen=True)
class SharePoint:
    month: int
    total: int | None  # people counted that month, as shown
    shares: dict[str, float | None]  # share -> fraction of the total; None when suppressed
    counts: dict[str, int | None]
    hidden_share: float  # the fraction that suppressed cells hold together
    suppressed: bool  # the whole month is hidden


@dataclass(frozen=True)
class Change:
    instrument: Instrument
    n: int | None
    mean: float | None
    low: float | None
    high: float | None
    mean_suppressed: bool
    improved: int | None
    unchanged: int | None
    worsened: int | None
    threshold: float | None


def _monthly(by_group: dict[tuple[int, int], object], groups: Groups, zero, people,
             threshold: int) -> tuple[Grid, dict[int, object], set[int]]:
    """Sum per-group monthly values up the hierarchy and protect them by their people."""
    grid = Grid(groups.by_year, sorted({month for (_group, month) in by_group}))
    rolled = grid.roll_up(by_group, zero)
    hidden = protect({cell: people(value) for cell, value in rolled.items()}, grid.hierarchy(),
                     threshold)
    return grid, rolled, hidden


def mean_points(by_group: dict[tuple[int, int], Sums], groups: Groups, policy: Policy,
                scope: Scope) -> list[MeanPoint]:
    """Return the monthly means of a scope with their t intervals, suppressed where due."""
    grid, rolled, hidden = _monthly(by_group, groups, Sums(), lambda sums: sums.n,
                                    policy.min_mean_n)
    points = []
    for month in grid.lines:
        cell = grid.cell(scope.key, month)
        sums = rolled.get(cell)
        if sums is None:
            continue
        if cell in hidden:
            points.append(MeanPoint(month, None, None, None, None, True))
            continue
        interval = mean_interval(sums.n, sums.total, sums.total_sq)
        assert interval is not None
        points.append(MeanPoint(month, policy.round_count(sums.n), interval.mean, interval.low,
                                interval.high, False))
    return points


def share_points(by_group: dict[tuple[int, int, str], int], groups: Groups, policy: Policy,
                 scope: Scope) -> list[SharePoint]:
    """Return each month's labour-market shares of a scope, suppressed where due."""
    cells: dict[tuple[int, tuple[int, str]], int] = {}
    for (group_id, month, share), count in by_group.items():
        if (group_id, (month, TOTAL)) not in cells:
            # Every share of a month is a cell, zero included: "nobody" is a statement too.
            cells.update(((group_id, (month, other)), 0) for other in STATUS_SHARES)
            cells[(group_id, (month, TOTAL))] = 0
        cells[(group_id, (month, share))] += count
        cells[(group_id, (month, TOTAL))] += count
    months = sorted({month for (_group, month, _share) in by_group})
    grid = Grid(groups.by_year, [(m, share) for m in months for share in (*STATUS_SHARES, TOTAL)])
    rolled = grid.roll_up(cells, 0)
    relations = grid.hierarchy()
    for month in months:
        relations += grid.within((month, TOTAL), [(month, share) for share in STATUS_SHARES])
    hidden = protect(rolled, relations, policy.min_count)
    points = []
    for month in months:
        total_cell = grid.cell(scope.key, (month, TOTAL))
        if total_cell not in rolled:
            continue
        if total_cell in hidden:
            points.append(SharePoint(month, None, dict.fromkeys(STATUS_SHARES),
                                     dict.fromkeys(STATUS_SHARES), 1.0, True))
            continue
        counts = {share: rolled[grid.cell(scope.key, (month, share))] for share in STATUS_SHARES}
        # Shares are of rounded counts under "strict", and the total is their sum.
        shown = {share: (None if grid.cell(scope.key, (month, share)) in hidden
                         else policy.round_count(count)) for share, count in counts.items()}
        total = (sum(policy.round_count(count) for count in counts.values())
                 if policy.rounding > 1 else rolled[total_cell])
        fractions = {share: (None if count is None or not total else count / total)
                     for share, count in shown.items()}
        visible = sum(value for value in fractions.values() if value is not None)
        points.append(SharePoint(month, total, fractions, shown, max(0.0, 1 - visible), False))
    return points


def attendance_points(by_group: dict[tuple[int, int], AttendanceSums], groups: Groups,
                      policy: Policy, scope: Scope) -> list[MeanPoint]:
    """Return the monthly attendance rate (presences per person-meeting) of a scope."""
    grid, rolled, hidden = _monthly(by_group, groups, AttendanceSums(0, 0, 0),
                                    lambda sums: sums.people, policy.min_mean_n)
    points = []
    for month in grid.lines:
        cell = grid.cell(scope.key, month)
        sums = rolled.get(cell)
        if sums is None:
            continue
        if cell in hidden or not sums.expected:
            points.append(MeanPoint(month, None, None, None, None, True))
            continue
        rate = sums.present / sums.expected
        points.append(MeanPoint(month, policy.round_count(sums.people), rate, None, None, False))
    return points


def change_summary(by_group: dict[int, ChangeSums], instrument: Instrument, groups: Groups,
                   policy: Policy, scope: Scope) -> Change:
    """Return the paired change of a scope: mean, t interval and reliable-change counts."""
    threshold = instrument.reliable_change.threshold if instrument.reliable_change else None
    keyed = {(g,): value for g, value in by_group.items()}
    rolled = trends.roll_up(keyed, groups.by_year, ChangeSums(Sums(), 0, 0))
    counts: dict = {}
    for (scope_key, _rest), value in rolled.items():
        counts[(scope_key, TOTAL)] = value.sums.n
        counts[(scope_key, "improved")] = value.improved
        counts[(scope_key, "worsened")] = value.worsened
        counts[(scope_key, "unchanged")] = value.sums.n - value.improved - value.worsened
    grid = Grid(groups.by_year, (TOTAL, "improved", "unchanged", "worsened"))
    relations = grid.hierarchy() + grid.within(TOTAL, ("improved", "unchanged", "worsened"))
    numbered = grid.numbered(counts)
    hidden_numbers = protect(numbered, relations, policy.min_count)
    totals = {number: value for number, value in numbered.items()
              if number % grid.width == grid.line_no[TOTAL]}
    hidden_mean_numbers = protect(totals, grid.hierarchy(), policy.min_mean_n)
    hidden_counts = {(scope.key, line) for line in grid.lines
                     if grid.cell(scope.key, line) in hidden_numbers}
    hidden_means = {(scope.key, TOTAL)} if grid.cell(scope.key, TOTAL) in hidden_mean_numbers \
        else set()
    value = rolled.get((scope.key, ()))
    if value is None:
        return Change(instrument, None, None, None, None, False, None, None, None, threshold)

    def shown(line: str) -> int | None:
        key = (scope.key, line)
        return None if key in hidden_counts else policy.round_count(counts[key])

    mean_hidden = (scope.key, TOTAL) in hidden_means or (scope.key, TOTAL) in hidden_counts
    interval = mean_interval(value.sums.n, value.sums.total, value.sums.total_sq)
    if mean_hidden or interval is None:
        mean = low = high = None
    else:
        mean, low, high = interval.mean, interval.low, interval.high
    return Change(
        instrument, shown(TOTAL), mean, low, high, mean_hidden,
        shown("improved") if threshold else None,
        shown("unchanged") if threshold else None,
        shown("worsened") if threshold else None,
        threshold,
    )


@dataclass(frozen=True)
class TrendReport:
    who5: list[MeanPoint]
    was: list[MeanPoint]
    status: list[SharePoint]
    attendance: list[MeanPoint]
    changes: list[Change]


async def trend_report(groups: Groups, policy: Policy, scope: Scope,
                       today: dt.date) -> TrendReport:
    """Return every trend of the evaluator's page for one scope."""
    instruments = [get_instrument("who5"), get_instrument("was")]
    # The queries only read, so they run side by side: each on its own connection.
    who5, was, status, attendance, *pairs = await asyncio.gather(
        trends.score_by_month("who5", today),
        trends.score_by_month("was", today),
        trends.status_by_month(today),
        trends.attendance_by_month(today),
        *(trends.paired_change(
            instrument.id,
            instrument.reliable_change.threshold if instrument.reliable_change else 0.0,
            instrument.scoring.higher_is_better, today) for instrument in instruments),
    )

    def protect_all() -> TrendReport:
        return TrendReport(
            who5=mean_points(who5, groups, policy, scope),
            was=mean_points(was, groups, policy, scope),
            status=share_points(status, groups, policy, scope),
            attendance=attendance_points(attendance, groups, policy, scope),
            changes=[change_summary(by_group, instrument, groups, policy, scope)
                     for by_group, instrument in zip(pairs, instruments, strict=True)],
        )

    # Thousands of groups make this seconds of work: a thread keeps other requests moving.
    return await asyncio.to_thread(protect_all)
