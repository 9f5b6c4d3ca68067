"""Long lists a page at a time; lists of groups also searchable by name.

An admin of a large project has thousands of groups; a page listing them all would weigh
hundreds of kilobytes on a phone. The names are filtered in Python with casefold(), so
"ä" finds "Ä" on SQLite as on PostgreSQL, and "%" or "_" typed in the search are plain
characters, not LIKE wildcards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PER_PAGE = 50
# Longer than any group name anyone would type; refused rather than silently cut.
QUERY_MAX = 100


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


def name_matches(name: str, q: str) -> bool:
    return q.casefold() in (name or "").casefold()


def page_of(rows: list[dict[str, Any]], raw_q: str | None, raw_page: str | None,
            per_page: int = PER_PAGE) -> Listing:
    """Filter rows (each with a "name") by the search, and cut out the page asked for."""
    q, too_long = read_query(raw_q)
    if too_long:
        return Listing(q=q[:QUERY_MAX], q_error=True, number=None)
    if q:
        rows = [row for row in rows if name_matches(row["name"], q)]
    pages = page_count(len(rows), per_page)
    number = read_page(raw_page, pages)
    listing = Listing(q=q, total=len(rows), pages=pages, number=number)
    if number is not None:
        listing.items = rows[(number - 1) * per_page:number * per_page]
    return listing


def status_of(listing: Listing) -> int:
    """400 for a search too long, 404 for a page out of range, else 200."""
    if listing.q_error:
        return 400
    return 404 if listing.number is None else 200
