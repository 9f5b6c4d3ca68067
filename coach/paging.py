"""Long lists a page at a time; lists of groups also searchable by name.

An admin of a large project has thousands of groups; a page listing them all would weigh
hundreds of kilobytes on a phone, and reading them all would cost every view. So the
database filters, counts and cuts out the page. Names are matched as str.casefold()
compares them, so "ä" finds "Ä" (and "ss" finds "ß") on SQLite as on PostgreSQL: each group
keeps its name casefolded (name_folded). "%" or "_" typed in the search are plain
characters, not LIKE wildcards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query.methods.count import Count
from piccolo.query.methods.select import Select

PER_PAGE = 50
# Longer than any group name anyone would type; refused rather than silently cut.
QUERY_MAX = 100
LAST_PAGE = 999_999  # the most read_page takes (six digits), whatever the list's length
LIKE_SPECIAL = re.compile(r"([\\%_])")


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """Return how many pages a list fills; an empty list still has its first page."""
    return max(1, -(-total // per_page))


def read_page(raw: str | None, pages: int) -> int | None:
    """Return the page number asked for (1 when none), or None if it is not 1..pages."""
    if raw is None or raw == "":
        return 1
    # Digits only and short: "-1", "1e9" and a thousand digits are no page.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        return None
    number = int(raw)
    return number if 1 <= number <= pages else None


@dataclass
class Listing:
    """One page of a searched list, with what the template needs to link the others."""

    q: str = ""
    q_error: bool = False
    total: int = 0
    pages: int = 1
    number: int | None = 1
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Say whether the page can be shown: a valid search and a page in range."""
        return not self.q_error and self.number is not None


def read_query(raw: str | None) -> tuple[str, bool]:
    """Return (search text, too long); surrounding spaces do not count."""
    text = (raw or "").strip()
    return text, len(text) > QUERY_MAX


def fold(name: str) -> str:
    """Return a group name as the search compares it: what name_folded holds."""
    return name.casefold()


def name_contains(q: str) -> WhereRaw:
    """Match the groups whose name contains the search text, in any case."""
    pattern = "%" + LIKE_SPECIAL.sub(r"\\\1", fold(q)) + "%"
    # Both sides are casefolded, so SQLite's LIKE ignoring ASCII case changes nothing.
    return WhereRaw('"coaching_group"."name_folded" LIKE {} ESCAPE {}', pattern, "\\")


def searched(raw_q: str | None) -> Listing:
    """Start a listing with its search text; refused (q_error) when too long."""
    q, too_long = read_query(raw_q)
    if too_long:
        return Listing(q=q[:QUERY_MAX], q_error=True, number=None)
    return Listing(q=q)


def nothing_listed(raw_q: str | None, raw_page: str | None) -> Listing:
    """Return the empty listing of someone who may see no groups."""
    listing = searched(raw_q)
    if not listing.q_error:
        listing.number = read_page(raw_page, 1)
    return listing


async def page_of(select: Select, count: Count, raw_q: str | None, raw_page: str | None,
                  per_page: int = PER_PAGE) -> Listing:
    """Return the page asked for of the groups `select` lists, found by the search.

    `count` counts the same groups: the two queries share their filters, and `select`
    gives the order.
    """
    listing = searched(raw_q)
    if listing.q_error:
        return listing
    if listing.q:
        select = select.where(name_contains(listing.q))
        count = count.where(name_contains(listing.q))
    # The page first, then the count only if the page does not tell it: a first page with
    # room to spare holds the whole list (a coach's few old groups: one statement).
    asked = read_page(raw_page, LAST_PAGE)
    items = [] if asked is None else await select.limit(per_page).offset((asked - 1) * per_page)
    listing.total = len(items) if asked == 1 and len(items) < per_page else await count
    listing.pages = page_count(listing.total, per_page)
    listing.number = asked if asked is not None and asked <= listing.pages else None
    if listing.number is not None:
        listing.items = items
    return listing


def status_of(listing: Listing) -> int:
    """400 for a search too long, 404 for a page out of range, else 200."""
    if listing.q_error:
        return 400
    return 404 if listing.number is None else 200
