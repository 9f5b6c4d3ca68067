"""The funder's indicator report: the European Social Fund's participant indicators.

Counts by gender at entry (CO01–CO05, CO09–CO11), upon leaving (CR02, CR04) and six
months after leaving (CR06, CR07), for all groups, a cohort year or one group. The
counting happens in one SQL query that returns a row per group and gender column;
Python only adds those cells up into cohort years and all groups and applies the
disclosure policy over the whole hierarchy, so a figure hidden in one view cannot be
worked out from another.

Definitions (also shown beside each number, see coach/reports/funder_lines.py):
- Status upon leaving: the latest status entry effective on or before the exit date
  plus 28 days. No entry, or the code `unknown`, counts as unknown.
- Six months after leaving: the follow-up day is the exit date plus 182 days (26
  weeks); only participants whose follow-up day is today or earlier are counted. The
  status is the latest entry effective on or before the follow-up day, and it is
  known only if that entry took effect after the exit date and its code is not
  `unknown` (the status the person left with says nothing about six months later).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass

from coach.choices import FUNDER_CATEGORY, FunderCategory, LabourStatus, UnemploymentDuration
from coach.db import is_postgres
from coach.participants.tables import Participant
from coach.reports import snapshot
from coach.reports.disclosure import Grid, Policy, Relation, protect, scopes
from coach.reports.funder_lines import IDENTITIES, LINE_KEYS, Line, lines
from coach.reports.population import COUNTED, fetch
from coach.reports.scope import Groups, Scope

LEAVING_DAYS = 28  # "within four weeks after the exit date"
FOLLOW_UP_DAYS = 182  # "six months after leaving": 26 weeks
GENDERS = ("female", "male", "other")  # "other" merges other and not told: both are tiny
COLUMNS = (*GENDERS, "total")


def _codes(*categories: FunderCategory) -> tuple[str, ...]:
    # `unknown` maps to inactive in FUNDER_CATEGORY; the report keeps it apart.
    return tuple(s.value for s, c in FUNDER_CATEGORY.items()
                 if c in categories and s is not LabourStatus.unknown)


EMPLOYED = _codes(FunderCategory.employed)
UNEMPLOYED = _codes(FunderCategory.unemployed)
INACTIVE = _codes(FunderCategory.inactive, FunderCategory.inactive_in_education)
INACTIVE_NOT_IN_EDUCATION = _codes(FunderCategory.inactive)
EDUCATION = (LabourStatus.education.value,)
OTHER_KNOWN = tuple(s for s in (*UNEMPLOYED, *INACTIVE) if s not in EDUCATION)
LONG_TERM = (UnemploymentDuration.from_12_to_24_months.value,
             UnemploymentDuration.over_24_months.value)
SHORT_TERM = (UnemploymentDuration.under_6_months.value,
              UnemploymentDuration.from_6_to_12_months.value)
# Improved situation (CR07) for those employed at entry: from part-time, subsidised
# work or an apprenticeship to full-time work or self-employment.
PRECARIOUS = (LabourStatus.employed_part_time.value, LabourStatus.subsidised_employment.value,
              LabourStatus.apprenticeship.value)
STABLE = (LabourStatus.employed_full_time.value, LabourStatus.self_employed.value)


def _in(column: str, codes: tuple[str, ...]) -> str:
    # The codes are the app's own constants, never user input.
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


def _plus_days(column: str, days: int) -> str:
    if is_postgres(Participant):
        return f"({column} + {days})"
    return f"date({column}, '+{days} days')"


def _latest(column: str, until: str) -> str:
    return (f"(SELECT s.{column} FROM labour_status s WHERE s.participant = p.id"  # noqa: S608
            f" AND s.effective_on <= {until} ORDER BY s.effective_on DESC, s.id DESC LIMIT 1)")


def _conditions() -> dict[str, str]:
    """Return each line's SQL condition over one participant's classified row `x`."""
    entry, duration = "x.entry", "x.duration"
    known = "x.gone = 1 AND x.due = 1 AND x.known = 1"
    return {
        "participants": "1 = 1",
        "co01": _in(entry, UNEMPLOYED),
        "co02": f"{_in(entry, UNEMPLOYED)} AND {_in(duration, LONG_TERM)}",
        "unemployed_short": f"{_in(entry, UNEMPLOYED)} AND {_in(duration, SHORT_TERM)}",
        "duration_missing": (f"{_in(entry, UNEMPLOYED)} AND ({duration} IS NULL OR NOT "
                             f"{_in(duration, LONG_TERM + SHORT_TERM)})"),
        "co03": _in(entry, INACTIVE),
        "co04": _in(entry, INACTIVE_NOT_IN_EDUCATION),
        "inactive_education": _in(entry, EDUCATION),
        "co05": _in(entry, EMPLOYED),
        "entry_unknown": f"NOT {_in(entry, UNEMPLOYED + INACTIVE + EMPLOYED)}",
        "co09": _in("x.education", ("none", "basic")),
        "co10": _in("x.education", ("upper_secondary",)),
        "co11": _in("x.education", ("tertiary",)),
        "leavers": "x.gone = 1",
        "cr04": f"x.gone = 1 AND {_in('x.at_exit', EMPLOYED)}",
        "cr02": f"x.gone = 1 AND {_in('x.at_exit', EDUCATION)}",
        "exit_other": f"x.gone = 1 AND {_in('x.at_exit', OTHER_KNOWN)}",
        "exit_unknown": (f"x.gone = 1 AND (x.at_exit IS NULL OR NOT "
                         f"{_in('x.at_exit', EMPLOYED + EDUCATION + OTHER_KNOWN)})"),
        "followed": "x.gone = 1 AND x.due = 1",
        "cr06": f"{known} AND {_in('x.later', EMPLOYED)}",
        "later_education": f"{known} AND {_in('x.later', EDUCATION)}",
        "later_other": f"{known} AND NOT {_in('x.later', EMPLOYED + EDUCATION)}",
        "later_unknown": "x.gone = 1 AND x.due = 1 AND x.known = 0",
        "cr07_base": f"x.gone = 1 AND x.due = 1 AND {_in(entry, EMPLOYED)}",
        "cr07": (f"{known} AND {_in(entry, PRECARIOUS)} AND {_in('x.later', STABLE)}"),
        "cr07_not": (f"{known} AND {_in(entry, EMPLOYED)} AND NOT "
                     f"({_in(entry, PRECARIOUS)} AND {_in('x.later', STABLE)})"),
        "cr07_unknown": f"x.gone = 1 AND x.due = 1 AND x.known = 0 AND {_in(entry, EMPLOYED)}",
    }


def count_sql() -> str:
    """Return the query: one row per group and gender column, a count per line."""
    exit_on = "p.exited_on"
    gone = f"{exit_on} IS NOT NULL AND {exit_on} <= {{}}"
    follow_up = _plus_days(exit_on, FOLLOW_UP_DAYS)
    later, later_on = _latest("status", follow_up), _latest("effective_on", follow_up)
    sums = ",\n  ".join(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}"
                        for key, condition in _conditions().items())
    return f"""
SELECT x.grp, x.col,
  {sums}
FROM (
  SELECT p."group" AS grp,
    CASE p.gender WHEN 'female' THEN 'female' WHEN 'male' THEN 'male' ELSE 'other' END AS col,
    p.status_at_entry AS entry, p.unemployed_for AS duration, p.education AS education,
    CASE WHEN {gone} THEN 1 ELSE 0 END AS gone,
    CASE WHEN {exit_on} IS NULL THEN NULL
      ELSE {_latest("status", _plus_days(exit_on, LEAVING_DAYS))} END AS at_exit,
    CASE WHEN {exit_on} IS NOT NULL AND {follow_up} <= {{}} THEN 1 ELSE 0 END AS due,
    {later} AS later,
    CASE WHEN {later} IS NOT NULL AND {later} <> 'unknown' AND {later_on} > {exit_on}
      THEN 1 ELSE 0 END AS known
  FROM participant p
  WHERE {COUNTED}
) x
GROUP BY x.grp, x.col
"""  # noqa: S608 (only the app's own SQL pieces and codes are formatted in)


async def count_cells(groups: Groups, today: dt.date) -> dict[Hashable, int]:
    """Return every count of the hierarchy: each group, cohort year and all groups."""
    rows = await fetch(count_sql(), today, today)
    values: dict[Hashable, int] = {}
    for scope in scopes(groups.by_year):
        for key in LINE_KEYS:
            for column in COLUMNS:
                values[(scope, (key, column))] = 0
    year_of = {group.id: group.year for group in groups.groups}
    for row in rows:
        if row["grp"] not in year_of:
            continue
        targets = (("group", row["grp"]), ("year", year_of[row["grp"]]), ("all",))
        for key in LINE_KEYS:
            count = int(row[key] or 0)
            for scope in targets:
                values[(scope, (key, row["col"]))] += count
                values[(scope, (key, "total"))] += count
    return values


def grid_of(groups: Groups) -> Grid:
    """Return the numbered cells of the report: every line and column in every scope."""
    return Grid(groups.by_year, [(key, column) for key in LINE_KEYS for column in COLUMNS])


def relations(grid: Grid) -> list[Relation]:
    """Return every sum the report shows: by gender, between lines and between views."""
    result = grid.hierarchy()  # all groups = cohort years = every group, in every cell
    for key in LINE_KEYS:
        result += grid.within((key, "total"), [(key, g) for g in GENDERS])
    for total, parts in IDENTITIES:
        for column in COLUMNS:
            result += grid.within((total, column), [(part, column) for part in parts])
    return result


@dataclass(frozen=True)
class Row:
    line: Line
    cells: tuple[int | None, ...]  # by COLUMNS; None: suppressed


@dataclass(frozen=True)
class Section:
    key: str
    rows: list[Row]


@dataclass(frozen=True)
class FunderReport:
    policy: Policy
    scope: Scope
    sections: list[Section]
    today: dt.date
    computed_at: dt.datetime | None = None  # set when the report comes from a snapshot


def shown_values(values: dict[Hashable, int], hidden: set[Hashable], scope_key: tuple,
                 key: str, policy: Policy) -> tuple[int | None, ...]:
    """Return one line of one scope as shown: hidden cells None, counts rounded per policy.

    Under rounding, a total whose parts are all shown is the sum of the rounded parts.
    """
    shown: list[int | None] = []
    for column in GENDERS:
        cell = (scope_key, (key, column))
        shown.append(None if cell in hidden else policy.round_count(values[cell]))
    total_cell = (scope_key, (key, "total"))
    if total_cell in hidden:
        shown.append(None)
    elif all(value is not None for value in shown):
        shown.append(sum(shown))  # type: ignore[arg-type]
    else:
        shown.append(policy.round_count(values[total_cell]))
    return tuple(shown)


def protected(values: dict[Hashable, int], groups: Groups, policy: Policy) -> set[Hashable]:
    """Return the cells to hide under the policy, over the whole hierarchy at once."""
    grid = grid_of(groups)
    hidden = protect(grid.numbered(values), relations(grid), policy.min_count)
    return {key for key in values if grid.cell(*key) in hidden}


async def funder_report(groups: Groups, scope: Scope, policy: Policy,
                        today: dt.date) -> FunderReport:
    """Return the report of one scope with the policy applied (a large project's snapshot)."""
    kind = f"funder:{today.isoformat()}:{policy.name}"

    async def compute() -> dict[tuple, dict[str, list]]:
        values = await count_cells(groups, today)

        def protect_all() -> dict[tuple, dict[str, list]]:
            hidden = protected(values, groups, policy)
            return {key: {line: list(shown_values(values, hidden, key, line, policy))
                          for line in LINE_KEYS}
                    for key in scopes(groups.by_year)}

        # Thousands of groups make this seconds of work: a thread keeps other requests moving.
        return await asyncio.to_thread(protect_all)

    payload, computed_at = await snapshot.remembered(kind, scope.key, compute)
    sections: dict[str, list[Row]] = {}
    for line in lines():
        sections.setdefault(line.section, []).append(Row(line, tuple(payload[line.key])))
    return FunderReport(policy, scope, [Section(k, rows) for k, rows in sections.items()], today,
                        computed_at)
