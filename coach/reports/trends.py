"""The evaluator's trends, aggregated in SQL per group and month since the group's start.

Each query returns one row per group (and month, and category), never per person;
the cohort-year and all-groups figures are sums of those rows, so that disclosure
control can see the whole hierarchy at once (coach.reports.disclosure).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from coach.assessments.schedule import FOLLOW_UP_MONTHS
from coach.choices import FUNDER_CATEGORY, FunderCategory, LabourStatus
from coach.reports.population import COUNTED, date_literal, fetch, months_since

# The labour-market picture by month, in five shares.
EMPLOYED, UNEMPLOYED, EDUCATION, OUTSIDE, UNKNOWN = (
    "employed", "unemployed", "education", "outside", "unknown")
STATUS_SHARES = (EMPLOYED, UNEMPLOYED, EDUCATION, OUTSIDE, UNKNOWN)
MAX_MONTHS = 120  # ten years of months is more than any group and its follow-up


def share_of(status: LabourStatus) -> str:
    """Return the share a labour-market code counts in (unknown is kept apart)."""
    if status is LabourStatus.unknown:
        return UNKNOWN
    category = FUNDER_CATEGORY[status]
    return {
        FunderCategory.employed: EMPLOYED,
        FunderCategory.unemployed: UNEMPLOYED,
        FunderCategory.inactive_in_education: EDUCATION,
        FunderCategory.inactive: OUTSIDE,
    }[category]


def _share_case(column: str) -> str:
    # Built from the fixed codes of coach.choices, never from input.
    whens = " ".join(f"WHEN '{status.value}' THEN '{share_of(status)}'" for status in LabourStatus)
    return f"CASE {column} {whens} ELSE '{UNKNOWN}' END"


def _not_negative(expression: str) -> str:
    # A baseline a few days before the first meeting belongs to month 0.
    return f"(CASE WHEN {expression} < 0 THEN 0 ELSE {expression} END)"


@dataclass(frozen=True)
class Sums:
    """n, sum and sum of squares: enough for a mean and its t interval."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)


async def score_by_month(instrument: str, today: dt.date) -> dict[tuple[int, int], Sums]:
    """Return (group id, month) -> sums of each person's mean score in that month."""
    month = _not_negative(months_since("a.taken_on", "g.starts_on"))
    rows = await fetch(
        f"""
        SELECT g_id, m, COUNT(*) AS n, SUM(s) AS total, SUM(s * s) AS total_sq FROM (
            SELECT p."group" AS g_id, {month} AS m, p.id AS pid, AVG(a.score) AS s
            FROM assessment a
            JOIN participant p ON p.id = a.participant
            JOIN coaching_group g ON g.id = p."group"
            WHERE a.instrument = {{}} AND a.taken_on <= {{}} AND {COUNTED}
            GROUP BY p."group", {month}, p.id
        ) per_person
        GROUP BY g_id, m
        """,  # noqa: S608 (only fixed SQL pieces are formatted in)
        instrument, today,
    )
    return {
        (row["g_id"], row["m"]): Sums(row["n"], float(row["total"]), float(row["total_sq"]))
        for row in rows if row["m"] <= MAX_MONTHS
    }


@dataclass(frozen=True)
class ChangeSums:
    """Paired differences (latest minus first) of one group: sums and reliable-change counts."""

    sums: Sums
    improved: int
    worsened: int


async def paired_change(instrument: str, threshold: float, higher_is_better: bool,
                        today: dt.date) -> dict[int, ChangeSums]:
    """Return group id -> each person's latest minus first score, summed, with reliable change.

    Only people with two or more assessments of the instrument count.
    """
    up, down = ("d > {}", "d < {}") if higher_is_better else ("d < {}", "d > {}")
    rows = await fetch(
        f"""
        WITH ordered AS (
            SELECT p."group" AS g_id,
                FIRST_VALUE(a.score) OVER person AS first_score,
                LAST_VALUE(a.score) OVER person AS last_score,
                COUNT(*) OVER person AS taken,
                ROW_NUMBER() OVER person AS position
            FROM assessment a
            JOIN participant p ON p.id = a.participant
            WHERE a.instrument = {{}} AND a.taken_on <= {{}} AND {COUNTED}
            -- One ordering for all four: a single sort per person's assessments.
            WINDOW person AS (PARTITION BY a.participant ORDER BY a.taken_on, a.completed_at, a.id
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ), differences AS (
            SELECT g_id, last_score - first_score AS d FROM ordered
            WHERE position = 1 AND taken >= 2
        )
        SELECT g_id, COUNT(*) AS n, SUM(d) AS total, SUM(d * d) AS total_sq,
            SUM(CASE WHEN {up} THEN 1 ELSE 0 END) AS improved,
            SUM(CASE WHEN {down} THEN 1 ELSE 0 END) AS worsened
        FROM differences GROUP BY g_id
        """,  # noqa: S608 (only fixed SQL pieces are formatted in)
        instrument, today,
        threshold if higher_is_better else -threshold,
        -threshold if higher_is_better else threshold,
    )
    return {
        row["g_id"]: ChangeSums(
            Sums(row["n"], float(row["total"]), float(row["total_sq"])),
            int(row["improved"]), int(row["worsened"]),
        )
        for row in rows
    }


async def status_by_month(today: dt.date) -> dict[tuple[int, int, str], int]:
    """Return (group id, month, share) -> people whose status that month counts in the share.

    A person counts from the month they enrolled until six months after they left (or
    after the group ended), but not beyond this month. Their status in a month is the
    latest entry of their history placed in that month or before.

    SQL returns where each span of a status starts (+n) and ends (-n) per group, share
    and month; adding those up month by month gives the counts. That keeps the database
    from producing a row per person and month.
    """
    enrolled = _not_negative(months_since("p.enrolled_on", "g.starts_on"))
    left = months_since("COALESCE(p.exited_on, g.ends_on)", "g.starts_on")
    now = months_since(date_literal(today), "g.starts_on")
    change_month = _not_negative(months_since("s.effective_on", "g.starts_on"))
    rows = await fetch(
        f"""
        WITH changes AS (
            SELECT s.participant AS pid, p."group" AS g_id, {change_month} AS m,
                {_share_case('s.status')} AS share, {enrolled} AS first_m,
                CASE WHEN {left} + {FOLLOW_UP_MONTHS} < {now}
                    THEN {left} + {FOLLOW_UP_MONTHS} ELSE {now} END AS last_m,
                ROW_NUMBER() OVER (PARTITION BY s.participant, {change_month}
                    ORDER BY s.effective_on DESC, s.id DESC) AS latest_in_month
            FROM labour_status s
            JOIN participant p ON p.id = s.participant
            JOIN coaching_group g ON g.id = p."group"
            WHERE {COUNTED} AND s.effective_on <= {{}}
        ), spans AS (
            SELECT g_id, share,
                CASE WHEN m > first_m THEN m ELSE first_m END AS lo,
                CASE WHEN LEAD(m) OVER (PARTITION BY pid ORDER BY m) - 1 < last_m
                    THEN LEAD(m) OVER (PARTITION BY pid ORDER BY m) - 1
                    ELSE last_m END AS hi
            FROM changes WHERE latest_in_month = 1
        )
        SELECT g_id, share, lo AS m, COUNT(*) AS delta FROM spans
            WHERE lo <= hi AND lo <= {MAX_MONTHS} GROUP BY g_id, share, lo
        UNION ALL
        SELECT g_id, share, hi + 1 AS m, -COUNT(*) AS delta FROM spans
            WHERE lo <= hi AND hi < {MAX_MONTHS} GROUP BY g_id, share, hi
        """,  # noqa: S608 (only fixed SQL pieces are formatted in)
        today,
    )
    deltas: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        deltas[(row["g_id"], row["share"])][row["m"]] += row["delta"]
    counts: dict[tuple[int, int, str], int] = {}
    for (group_id, share), by_month in deltas.items():
        running = 0
        months = sorted(by_month)
        for month, following in zip(months, [*months[1:], None], strict=True):
            running += by_month[month]
            if running <= 0:
                continue
            for filled in range(month, following if following is not None else month + 1):
                counts[(group_id, filled, share)] = running
    return counts


@dataclass(frozen=True)
class AttendanceSums:
    people: int  # distinct participants on the month's rosters
    expected: int  # person-meetings
    present: int

    def __add__(self, other: AttendanceSums) -> AttendanceSums:
        return AttendanceSums(self.people + other.people, self.expected + other.expected,
                              self.present + other.present)


def _attendance_rows(month: str) -> str:
    """Return SQL for one row per person-meeting, and the monthly counts "unlink" erasure kept.

    Columns: g_id, mm (the month), pid, expected, present; `month` is the SQL of the month
    of m.held_on. Takes the day up to which meetings count.
    """
    return f"""
        SELECT m."group" AS g_id, {month} AS mm, a.participant AS pid, 1 AS expected,
            CASE WHEN a.present THEN 1 ELSE 0 END AS present
        FROM attendance a
        JOIN meeting m ON m.id = a.meeting
        JOIN participant p ON p.id = a.participant
        JOIN coaching_group g ON g.id = m."group"
        WHERE {COUNTED} AND m.held_on <= {{}}
        UNION ALL
        SELECT p."group", {_not_negative("k.month")}, k.participant, k.meetings, k.present
        FROM kept_attendance k
        JOIN participant p ON p.id = k.participant
        WHERE {COUNTED}
        """  # noqa: S608 (only fixed SQL pieces are formatted in)


async def attendance_by_month(today: dt.date) -> dict[tuple[int, int], AttendanceSums]:
    """Return (group id, month) -> people on the rosters, person-meetings and presences."""
    month = _not_negative(months_since("m.held_on", "g.starts_on"))
    rows = await fetch(
        f"""
        SELECT g_id, mm, COUNT(DISTINCT pid) AS people, SUM(expected) AS expected,
            SUM(present) AS present
        FROM ({_attendance_rows(month)}) person_meetings
        GROUP BY g_id, mm
        """,  # noqa: S608 (only fixed SQL pieces are formatted in)
        today,
    )
    return {
        (row["g_id"], row["mm"]): AttendanceSums(row["people"], row["expected"],
                                                 int(row["present"] or 0))
        for row in rows if row["mm"] <= MAX_MONTHS
    }


async def attendance_overall(today: dt.date) -> dict[tuple[int], AttendanceSums]:
    """Return (group id,) -> people on the rosters, person-meetings and presences in all."""
    rows = await fetch(
        f"""
        SELECT g_id, COUNT(DISTINCT pid) AS people, SUM(expected) AS expected,
            SUM(present) AS present
        FROM ({_attendance_rows("0")}) person_meetings
        GROUP BY g_id
        """,  # noqa: S608 (only fixed SQL pieces are formatted in)
        today,
    )
    return {(row["g_id"],): AttendanceSums(row["people"], row["expected"],
                                           int(row["present"] or 0)) for row in rows}
