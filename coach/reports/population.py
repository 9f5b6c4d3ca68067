"""Who is counted in evaluators' reports and exports, and SQL pieces both engines share.

Counted: participants whose consent is given and not withdrawn, and the anonymous
records that an "unlink" erasure keeps for statistics. Not counted: anyone who
never gave consent, or who withdrew it and waits for erasure (from the day of
withdrawal nothing more is done with their data).
"""

from __future__ import annotations

import datetime as dt

from coach.db import is_postgres, long_reads
from coach.limits import EARLIEST_DATE, LATEST_DATE
from coach.participants.tables import Participant

# `p` is the participant table's alias in every query that uses this.
COUNTED = (
    "(p.erased_at IS NOT NULL OR "
    "(p.consent_given_on IS NOT NULL AND p.consent_withdrawn_on IS NULL))"
)


def bounded(column: str) -> str:
    """Return SQL for a PostgreSQL date moved inside the range the forms allow.

    asyncpg stores Python's first and last dates (0001-01-01, 9999-12-31) as -infinity
    and infinity, whose year is no integer; such dates predate the forms' bounds.
    """
    return (f"LEAST(GREATEST({column}, {date_literal(EARLIEST_DATE)}),"
            f" {date_literal(LATEST_DATE)})")


def months_since(later: str, earlier: str) -> str:
    """Return SQL for the whole months from the date `earlier` to the date `later`.

    The 3rd of March is month 0 until the 2nd of April, month 1 from the 3rd; a day
    before `earlier` gives a negative number. The same rule on both engines.
    """
    if is_postgres(Participant):
        later, earlier = bounded(later), bounded(earlier)
        return (
            f"((EXTRACT(YEAR FROM {later})::int - EXTRACT(YEAR FROM {earlier})::int) * 12"
            f" + EXTRACT(MONTH FROM {later})::int - EXTRACT(MONTH FROM {earlier})::int"
            f" - CASE WHEN EXTRACT(DAY FROM {later}) < EXTRACT(DAY FROM {earlier})"
            f" THEN 1 ELSE 0 END)"
        )
    # SQLite keeps dates as ISO text: slicing it is several times cheaper than strftime.
    def month_number(day: str) -> str:
        return (f"(CAST(substr({day}, 1, 4) AS INTEGER) * 12"
                f" + CAST(substr({day}, 6, 2) AS INTEGER))")

    def day_of(day: str) -> str:
        return f"CAST(substr({day}, 9, 2) AS INTEGER)"

    return (f"({month_number(later)} - {month_number(earlier)}"
            f" - CASE WHEN {day_of(later)} < {day_of(earlier)} THEN 1 ELSE 0 END)")


def date_literal(day: dt.date) -> str:
    """Return SQL for a date constant (from a date object, never from text)."""
    if is_postgres(Participant):
        return f"DATE '{day.isoformat()}'"
    return f"'{day.isoformat()}'"


def year_of(column: str) -> str:
    """Return SQL for the calendar year of a date column."""
    if is_postgres(Participant):
        return f"EXTRACT(YEAR FROM {bounded(column)})::int"
    return f"CAST(strftime('%Y', {column}) AS INTEGER)"


async def fetch(sql: str, *args) -> list[dict]:
    """Run a read-only query written with {} placeholders on the tables' engine.

    These queries count over a whole project: on SQLite they run off the event loop.
    """
    with long_reads():
        return await Participant.raw(sql, *args)
