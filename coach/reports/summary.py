"""A one-page summary in the style of a project's final report, for one scope.

Counts come from the funder's report (coach.reports.funder), so the two pages show
the same protected numbers; change and attendance come from the trends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from coach.assessments.instruments import get_instrument
from coach.reports import snapshot, trends
from coach.reports.disclosure import Grid, Policy, protect, scopes
from coach.reports.funder import COLUMNS, funder_report
from coach.reports.scope import Groups, Scope
from coach.reports.trend_report import Change, change_summary, decode_change, encode_change
from coach.reports.trends import AttendanceSums

TOTAL_COLUMN = COLUMNS.index("total")
FEMALE_COLUMN = COLUMNS.index("female")


@dataclass(frozen=True)
class Figure:
    key: str
    count: int | None  # None: suppressed
    share: float | None  # of its base; None when it or its base is suppressed


@dataclass(frozen=True)
class Summary:
    groups: int
    participants: int | None
    women: Figure
    entry: list[Figure]  # unemployed, in education, employed, outside, unknown
    education: list[Figure]  # ISCED 0-2, 3-4, 5-8
    leavers: int | None
    at_end: Figure  # in work or education upon leaving, of leavers
    followed: int | None
    later: Figure  # in work or education six months after leaving, of those followed up
    changes: list[Change]
    attendance: float | None  # presences per person-meeting, None when suppressed
    attendance_people: int | None
    computed_at: dt.datetime | None = None  # when the counts come from a snapshot


def _figure(key: str, count: int | None, base: int | None) -> Figure:
    share = count / base if count is not None and base else None
    return Figure(key, count, share)


def _sum(*counts: int | None) -> int | None:
    return None if any(count is None for count in counts) else sum(counts)  # type: ignore[arg-type]


async def _extras(groups: Groups, policy: Policy, today: dt.date,
                  scope_keys: list[tuple]) -> dict[tuple, list]:
    """Return each scope's paired changes and attendance rate, encoded for a snapshot."""
    instruments = [get_instrument("who5"), get_instrument("was")]
    # The queries only read, so they run side by side: each on its own connection.
    attendance_by_group, *pairs = await asyncio.gather(
        trends.attendance_overall(today),
        *(trends.paired_change(
            instrument.id,
            instrument.reliable_change.threshold if instrument.reliable_change else 0.0,
            instrument.scoring.higher_is_better, today) for instrument in instruments),
    )

    def protect_all() -> dict[tuple, list]:
        changes = [change_summary(by_group, instrument, groups, policy, scope_keys)
                   for by_group, instrument in zip(pairs, instruments, strict=True)]
        grid = Grid(groups.by_year, [()])
        attendance = grid.roll_up({(group_id, ()): sums for (group_id,), sums
                                   in attendance_by_group.items()}, AttendanceSums(0, 0, 0))
        hidden = protect({cell: sums.people for cell, sums in attendance.items()},
                         grid.hierarchy(), policy.min_mean_n)
        result = {}
        for key in scope_keys:
            cell = grid.cell(key, ())
            mine = attendance.get(cell)
            shown = mine is not None and cell not in hidden and mine.expected > 0
            result[key] = [
                [encode_change(change[key]) for change in changes],
                mine.present / mine.expected if shown and mine else None,
                policy.round_count(mine.people) if shown and mine else None,
            ]
        return result

    # Thousands of groups make this seconds of work: a thread keeps other requests moving.
    return await asyncio.to_thread(protect_all)


async def summary(groups: Groups, policy: Policy, scope: Scope, today: dt.date) -> Summary:
    """Return the summary figures of one scope, protected as the other reports are."""
    report = await funder_report(groups, scope, policy, today)
    extras, _computed_at = await snapshot.remembered(
        f"summary:{today.isoformat()}:{policy.name}", scope.key,
        lambda: _extras(groups, policy, today, scopes(groups.by_year)))
    changes_encoded, attendance_rate, attendance_people = extras
    cells = {row.line.key: row.cells for section in report.sections for row in section.rows}

    def total(key: str) -> int | None:
        return cells[key][TOTAL_COLUMN]

    participants = total("participants")
    # Inactive (CO03) splits into "in education" and "outside the labour force" (CO04).
    entry = [
        _figure("unemployed", total("co01"), participants),
        _figure("education", total("inactive_education"), participants),
        _figure("employed", total("co05"), participants),
        _figure("outside", total("co04"), participants),
        _figure("unknown", total("entry_unknown"), participants),
    ]
    education = [_figure(key, total(key), participants) for key in ("co09", "co10", "co11")]
    leavers, followed = total("leavers"), total("followed")
    return Summary(
        groups=len(groups.groups) if scope.group_ids is None and scope.year is None
        else (1 if scope.group is not None else len(groups.by_year.get(scope.year, []))),
        participants=participants,
        women=_figure("women", cells["participants"][FEMALE_COLUMN], participants),
        entry=entry,
        education=education,
        leavers=leavers,
        at_end=_figure("work_or_education", _sum(total("cr04"), total("cr02")), leavers),
        followed=followed,
        later=_figure("work_or_education", _sum(total("cr06"), total("later_education")),
                      followed),
        changes=[decode_change(change) for change in changes_encoded],
        attendance=attendance_rate,
        attendance_people=attendance_people,
        computed_at=report.computed_at,
    )
