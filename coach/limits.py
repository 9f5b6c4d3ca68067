"""The range of dates and ids the app accepts, in one place for every form and page.

Dates: 1900-01-01 to 2100-12-31. Every real date of this app (a consent, a meeting, a
group's run, news about a job) falls well inside it, yet it leaves room for old
consent papers and long plans; beyond it is a typing mistake (9999, 0001). Python's
date stops at year 9999, so arithmetic near those ends would fail; inside these bounds a
follow-up six months after the latest end is still a date.

A group runs at most LONGEST_GROUP_YEARS (5) years: coaching groups last months, a
project's funding period a few years, so a longer run is a mistyped year. The bound
also keeps every per-week loop over a group's run short.

Ids: every id column is PostgreSQL `integer` (Piccolo's Serial and ForeignKey), so no
row has an id beyond 2**31 - 1 on either engine; a larger one is refused before it
reaches a query (asyncpg and sqlite3 raise instead of finding nothing).
"""

from __future__ import annotations

import calendar
import datetime as dt

from litestar import Request
from litestar.exceptions import NotFoundException

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
LONGEST_GROUP_YEARS = 5

MAX_ID = 2**31 - 1
# A form lists at most one group's people; no group comes near this many, and it keeps a
# query's parameters far below PostgreSQL's limit of 32,767.
MAX_IDS_PER_FORM = 500


def clamp_date(day: dt.date) -> dt.date:
    """Return the day, moved inside the allowed range if it was stored outside it."""
    return min(max(day, EARLIEST_DATE), LATEST_DATE)


def latest_group_end(starts_on: dt.date) -> dt.date:
    """Return the last day a group starting on that day may end (Feb 29 gives Feb 28)."""
    year = starts_on.year + LONGEST_GROUP_YEARS
    return starts_on.replace(year=year, day=min(starts_on.day,
                                                calendar.monthrange(year, starts_on.month)[1]))


def id_in_range(value: int) -> bool:
    """Say whether a number can be the id of a row."""
    return 1 <= value <= MAX_ID


async def refuse_ids_out_of_range(request: Request) -> None:
    """Answer 404 for a path whose id no row can have, before the handler queries it."""
    for value in request.path_params.values():
        if isinstance(value, int) and not id_in_range(value):
            raise NotFoundException()
