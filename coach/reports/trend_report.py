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
from coach.reports import snapshot, trends
from coach.reports.disclosure import Grid, Policy, protect, scopes
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


def _points(grid: Grid, rolled: dict[int, object], hidden: set[int], scope_keys: list[tuple],
            shown_point) -> dict[tuple, list[MeanPoint]]:
    """Return each scope's monthly points: shown_point(month, value), or a suppressed mark."""
    result = {}
    for scope_key in scope_keys:
        points = []
        for month in grid.lines:
            cell = grid.cell(scope_key, month)
            value = rolled.get(cell)
            if value is None:
                continue
            point = None if cell in hidden else shown_point(month, value)
            points.append(point or MeanPoint(month, None, None, None, None, True))
        result[scope_key] = points
    return result


def mean_points(by_group: dict[tuple[int, int], Sums], groups: Groups, policy: Policy,
                scope_keys: list[tuple]) -> dict[tuple, list[MeanPoint]]:
    """Return each scope's monthly means with their t intervals, suppressed where due."""
    grid, rolled, hidden = _monthly(by_group, groups, Sums(), lambda sums: sums.n,
                                    policy.min_mean_n)

    def shown(month: int, sums: Sums) -> MeanPoint:
        interval = mean_interval(sums.n, sums.total, sums.total_sq)
        assert interval is not None
        return MeanPoint(month, policy.round_count(sums.n), interval.mean, interval.low,
                         interval.high, False)

    return _points(grid, rolled, hidden, scope_keys, shown)


def share_points(by_group: dict[tuple[int, int, str], int], groups: Groups, policy: Policy,
                 scope_keys: list[tuple]) -> dict[tuple, list[SharePoint]]:
    """Return each scope's monthly labour-market shares, suppressed where due."""
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
    result = {}
    for scope_key in scope_keys:
        points = []
        for month in months:
            total_cell = grid.cell(scope_key, (month, TOTAL))
            if total_cell not in rolled:
                continue
            if total_cell in hidden:
                points.append(SharePoint(month, None, dict.fromkeys(STATUS_SHARES),
                                         dict.fromkeys(STATUS_SHARES), 1.0, True))
                continue
            counts = {share: rolled[grid.cell(scope_key, (month, share))]
                      for share in STATUS_SHARES}
            # Shares are of rounded counts under "strict", and the total is their sum.
            shown = {share: (None if grid.cell(scope_key, (month, share)) in hidden
                             else policy.round_count(count)) for share, count in counts.items()}
            total = (sum(policy.round_count(count) for count in counts.values())
                     if policy.rounding > 1 else rolled[total_cell])
            fractions = {share: (None if count is None or not total else count / total)
                         for share, count in shown.items()}
            visible = sum(value for value in fractions.values() if value is not None)
            points.append(SharePoint(month, total, fractions, shown, max(0.0, 1 - visible),
                                     False))
        result[scope_key] = points
    return result


def attendance_points(by_group: dict[tuple[int, int], AttendanceSums], groups: Groups,
                      policy: Policy, scope_keys: list[tuple]) -> dict[tuple, list[MeanPoint]]:
    """Return each scope's monthly attendance rate (presences per person-meeting)."""
    grid, rolled, hidden = _monthly(by_group, groups, AttendanceSums(0, 0, 0),
                                    lambda sums: sums.people, policy.min_mean_n)

    def shown(month: int, sums: AttendanceSums) -> MeanPoint | None:
        if not sums.expected:
            return None
        return MeanPoint(month, policy.round_count(sums.people), sums.present / sums.expected,
                         None, None, False)

    return _points(grid, rolled, hidden, scope_keys, shown)


def change_summary(by_group: dict[int, ChangeSums], instrument: Instrument, groups: Groups,
                   policy: Policy, scope_keys: list[tuple]) -> dict[tuple, Change]:
    """Return each scope's paired change: mean, t interval and reliable-change counts."""
    threshold = instrument.reliable_change.threshold if instrument.reliable_change else None
    grid = Grid(groups.by_year, (TOTAL, "improved", "unchanged", "worsened"))
    numbered = grid.roll_up({
        (group_id, line): count
        for group_id, value in by_group.items()
        for line, count in ((TOTAL, value.sums.n), ("improved", value.improved),
                            ("unchanged", value.sums.n - value.improved - value.worsened),
                            ("worsened", value.worsened))
    }, 0)
    sums = grid.roll_up({(group_id, TOTAL): value.sums for group_id, value in by_group.items()},
                        Sums())
    relations = grid.hierarchy() + grid.within(TOTAL, ("improved", "unchanged", "worsened"))
    hidden_counts = protect(numbered, relations, policy.min_count)
    totals = {number: value for number, value in numbered.items()
              if number % grid.width == grid.line_no[TOTAL]}
    hidden_means = protect(totals, grid.hierarchy(), policy.min_mean_n)
    result = {}
    for scope_key in scope_keys:
        total_cell = grid.cell(scope_key, TOTAL)
        value = sums.get(total_cell)
        if value is None:
            result[scope_key] = Change(instrument, None, None, None, None, False, None, None,
                                       None, threshold)
            continue

        def shown(line: str, scope_key: tuple = scope_key) -> int | None:
            cell = grid.cell(scope_key, line)
            return None if cell in hidden_counts else policy.round_count(numbered[cell])

        mean_hidden = total_cell in hidden_means or total_cell in hidden_counts
        interval = mean_interval(value.n, value.total, value.total_sq)
        if mean_hidden or interval is None:
            mean = low = high = None
        else:
            mean, low, high = interval.mean, interval.low, interval.high
        result[scope_key] = Change(
            instrument, shown(TOTAL), mean, low, high, mean_hidden,
            shown("improved") if threshold else None,
            shown("unchanged") if threshold else None,
            shown("worsened") if threshold else None,
            threshold,
        )
    return result


@dataclass(frozen=True)
class TrendReport:
    who5: list[MeanPoint]
    was: list[MeanPoint]
    status: list[SharePoint]
    attendance: list[MeanPoint]
    changes: list[Change]
    computed_at: dt.datetime | None = None  # set when the report comes from a snapshot


async def trend_reports(groups: Groups, policy: Policy, today: dt.date,
                        scope_keys: list[tuple]) -> dict[tuple, TrendReport]:
    """Return every trend of the evaluator's page for each of the scopes."""
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

    def protect_all() -> dict[tuple, TrendReport]:
        who5_points = mean_points(who5, groups, policy, scope_keys)
        was_points = mean_points(was, groups, policy, scope_keys)
        shares = share_points(status, groups, policy, scope_keys)
        rates = attendance_points(attendance, groups, policy, scope_keys)
        changes = [change_summary(by_group, instrument, groups, policy, scope_keys)
                   for by_group, instrument in zip(pairs, instruments, strict=True)]
        return {key: TrendReport(who5_points[key], was_points[key], shares[key], rates[key],
                                 [change[key] for change in changes])
                for key in scope_keys}

    # Thousands of groups make this seconds of work: a thread keeps other requests moving.
    return await asyncio.to_thread(protect_all)


async def trend_report(groups: Groups, policy: Policy, scope: Scope,
                       today: dt.date) -> TrendReport:
    """Return the trends of one scope, from a snapshot when a large project has one."""
    kind = f"trends:{today.isoformat()}:{policy.name}"

    async def compute() -> dict[tuple, list]:
        reports = await trend_reports(groups, policy, today, scopes(groups.by_year))
        # One report per group and year: seconds of work for thousands of groups.
        return await asyncio.to_thread(
            lambda: {key: encode(report) for key, report in reports.items()})

    payload, computed_at = await snapshot.remembered(kind, scope.key, compute)
    return decode(payload, computed_at)


def encode(report: TrendReport) -> list:
    """Return a report as compact JSON-ready lists (for snapshots)."""
    def point(p: MeanPoint) -> list:
        return [p.month, p.n, p.mean, p.low, p.high, p.suppressed]

    def share(p: SharePoint) -> list:
        return [p.month, p.total, p.shares, p.counts, p.hidden_share, p.suppressed]

    return [[point(p) for p in report.who5], [point(p) for p in report.was],
            [share(p) for p in report.status], [point(p) for p in report.attendance],
            [encode_change(c) for c in report.changes]]


def decode(payload: list, computed_at: dt.datetime | None = None) -> TrendReport:
    """Return the report that encode() wrote."""
    who5, was, status, attendance, changes = payload
    return TrendReport(
        who5=[MeanPoint(*p) for p in who5],
        was=[MeanPoint(*p) for p in was],
        status=[SharePoint(*p) for p in status],
        attendance=[MeanPoint(*p) for p in attendance],
        changes=[decode_change(c) for c in changes],
        computed_at=computed_at,
    )


def encode_change(change: Change) -> list:
    """Return a paired change as a JSON-ready list (for snapshots)."""
    return [change.instrument.id, change.n, change.mean, change.low, change.high,
            change.mean_suppressed, change.improved, change.unchanged, change.worsened,
            change.threshold]


def decode_change(values: list) -> Change:
    """Return the paired change that encode_change() wrote."""
    return Change(get_instrument(values[0]), *values[1:])
