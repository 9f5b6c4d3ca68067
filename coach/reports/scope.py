"""What a report is about: all groups, one cohort start year, or one group.

Evaluators never see database ids, so a group is named in links by an opaque key
(an HMAC of its id under the app's secret) and on the page by its name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from coach.groups.tables import CoachingGroup
from coach.reports.disclosure import ALL
from coach.same_text import same_text

GROUP_KEY_LENGTH = 12
# A project with more groups lists one cohort year's groups at a time in the filters.
LIST_ALL_GROUPS_UP_TO = 60


def group_key(secret: str, group_id: int) -> str:
    """Return the opaque key that stands for a group in evaluators' links."""
    digest = hmac.new(secret.encode(), f"group:{group_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:GROUP_KEY_LENGTH]


@dataclass(frozen=True)
class GroupInfo:
    id: int  # never shown to evaluators
    key: str
    name: str
    starts_on: dt.date
    ends_on: dt.date

    @property
    def year(self) -> int:
        return self.starts_on.year


@dataclass(frozen=True)
class Groups:
    """Every group, and the groups of each cohort start year (the hierarchy of scopes)."""

    groups: list[GroupInfo]
    by_year: dict[int, list[int]]

    @property
    def years(self) -> list[int]:
        return sorted(self.by_year)

    def choices(self, year: int | None) -> list[GroupInfo]:
        """Return the groups a filter lists: all of a small project, else one year's."""
        if len(self.groups) <= LIST_ALL_GROUPS_UP_TO:
            return self.groups
        if year is None:
            return []
        return [group for group in self.groups if group.year == year]


async def load_groups(secret: str) -> Groups:
    """Return every group in start order, with the ids of each cohort year."""
    rows = await CoachingGroup.select(
        CoachingGroup.id, CoachingGroup.name, CoachingGroup.starts_on, CoachingGroup.ends_on
    ).order_by(CoachingGroup.starts_on).order_by(CoachingGroup.id)
    groups = [
        GroupInfo(row["id"], group_key(secret, row["id"]), row["name"], row["starts_on"],
                  row["ends_on"])
        for row in rows
    ]
    by_year: dict[int, list[int]] = {}
    for group in groups:
        by_year.setdefault(group.year, []).append(group.id)
    return Groups(groups, by_year)


class ScopeError(ValueError):
    """The filter names no group or year that exists."""


@dataclass(frozen=True)
class Scope:
    kind: str  # "all", "year" or "group"
    year: int | None = None
    group: GroupInfo | None = None

    @property
    def key(self) -> tuple:
        """Return the scope as disclosure.protect keys it."""
        if self.kind == "group" and self.group is not None:
            return ("group", self.group.id)
        if self.kind == "year":
            return ("year", self.year)
        return ALL

    @property
    def group_ids(self) -> list[int] | None:
        """Return the group ids to count, or None for every group."""
        return [self.group.id] if self.group is not None else None

    def query(self) -> dict[str, str]:
        """Return the query parameters that choose this scope again."""
        if self.group is not None:
            return {"group": self.group.key}
        if self.year is not None:
            return {"year": str(self.year)}
        return {}


def is_year_text(text: str) -> bool:
    """Say whether text is a year as the filters take it: four digits."""
    # isascii: "²" and other digits of Unicode pass isdigit() but not int().
    return text.isascii() and text.isdigit() and len(text) == 4


def parse_scope(groups: Groups, group: str | None, year: str | None) -> Scope:
    """Return the scope that ?group=KEY or ?year=YYYY asks for; nothing means all groups."""
    group = (group or "").strip()
    year = (year or "").strip()
    if group:
        for info in groups.groups:
            if same_text(group, info.key):
                return Scope("group", info.year, info)
        raise ScopeError("no such group")
    if year:
        if not (is_year_text(year) and int(year) in groups.by_year):
            raise ScopeError("no group started in that year")
        return Scope("year", int(year))
    return Scope("all")
