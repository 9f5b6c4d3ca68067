"""Disclosure control for aggregates: which counts and means may be shown.

An admin chooses the policy. "standard" hides any count or mean based on fewer than
5 people; "strict" hides means based on 5 or fewer people and counts of 7 or fewer,
and rounds every count shown to the nearest 5. Both then hide more cells
(complementary suppression) wherever a hidden cell could be worked out by
subtraction from a total: within a table, and across the all-groups, cohort-year
and one-group views, which are all parts of one hierarchy.

Zero is a count "based on fewer than 5 people" too: showing it would be a "none"
statement about a group, and a visible part equal to its total an "all" statement,
which the rule on the hidden sum below removes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

STANDARD, STRICT = "standard", "strict"
POLICY_NAMES = (STANDARD, STRICT)


@dataclass(frozen=True)
class Policy:
    name: str
    min_count: int  # a count below this is hidden
    min_mean_n: int  # a mean or interval based on fewer people is hidden
    rounding: int  # counts are shown rounded to a multiple of this (1: exact)

    def round_count(self, value: int) -> int:
        """Return a count as shown: rounded half up to the policy's step."""
        if self.rounding <= 1:
            return value
        return int((value + self.rounding / 2) // self.rounding) * self.rounding


POLICIES = {
    STANDARD: Policy(STANDARD, min_count=5, min_mean_n=5, rounding=1),
    STRICT: Policy(STRICT, min_count=8, min_mean_n=6, rounding=5),
}


def get_policy(name: str | None) -> Policy:
    """Return a policy by name; anything unknown falls back to the standard one."""
    return POLICIES.get(name or STANDARD, POLICIES[STANDARD])


@dataclass(frozen=True)
class Relation:
    """total = sum(parts): a line of a table, or a level of the group hierarchy."""

    total: Hashable
    parts: tuple[Hashable, ...]


def protect(
    values: Mapping[Hashable, int],
    relations: Iterable[Relation],
    threshold: int,
) -> set[Hashable]:
    """Return the cells to hide: every value below the threshold, and their complements.

    A relation is safe when none of its cells is hidden, or at least two are and, if
    its total is shown, the hidden parts together hold at least `threshold` people
    (so that subtraction tells no one's value and no "all"/"none" statement follows).
    Until every relation is safe, the smallest shown part of an unsafe one is hidden,
    or its total when no part is left. Deterministic: ties go by the cell's key.
    """
    hidden = {key for key, value in values.items() if value < threshold}
    present = values.keys()
    # Set operations do the per-cell work in C: with thousands of groups the relations
    # hold millions of cell references, and most group-level cells start out hidden.
    totals: list[Hashable] = []
    parts_of: list[set[Hashable]] = []
    for relation in relations:
        if relation.total in values:
            totals.append(relation.total)
            parts_of.append(present & set(relation.parts))
    hidden_parts: list[int] = []
    hidden_sum: list[int] = []
    as_part: dict[Hashable, list[int]] = defaultdict(list)  # shown cells only: they may change
    as_total: dict[Hashable, list[int]] = defaultdict(list)
    for index, parts in enumerate(parts_of):
        hidden_here = parts & hidden
        hidden_parts.append(len(hidden_here))
        hidden_sum.append(sum(map(values.__getitem__, hidden_here)))
        as_total[totals[index]].append(index)
        for part in parts - hidden_here:
            as_part[part].append(index)

    def unsafe(index: int) -> bool:
        total_hidden = totals[index] in hidden
        count = hidden_parts[index] + total_hidden
        return count == 1 or (
            count > 1 and not total_hidden and hidden_sum[index] < threshold
        )

    pending = [index for index in range(len(totals)) if unsafe(index)]
    while pending:
        index = pending.pop()
        if not unsafe(index):
            continue
        shown = parts_of[index] - hidden
        if shown:
            cell = min(shown, key=lambda part: (values[part], repr(part)))
        elif totals[index] not in hidden:
            cell = totals[index]
        else:
            continue  # everything is hidden already
        hidden.add(cell)
        for other in as_part.pop(cell, ()):
            hidden_parts[other] += 1
            hidden_sum[other] += values[cell]
            if unsafe(other):
                pending.append(other)
        pending.extend(other for other in as_total.get(cell, ()) if unsafe(other))
    return hidden


# The readable form of Grid.hierarchy, which the reports use: tests/test_disclosure.py checks
# the numbered relations against it, and protect() on cells named as people read them.
def hierarchy_relations(
    groups_by_year: Mapping[int, Sequence[int]],
    lines: Iterable[Hashable] = (None,),
) -> list[Relation]:
    """Return the relations of the scopes: all = sum of cohort years = sum of every group.

    Cells are keyed (scope, line), where scope is ("all",), ("year", Y) or ("group", id)
    and `line` tells apart the cells of one scope (a month, a category, an indicator).
    """
    relations = []
    years = sorted(groups_by_year)
    every_group = [g for y in years for g in groups_by_year[y]]
    for line in lines:
        relations.append(Relation((ALL, line), tuple((("year", y), line) for y in years)))
        # All groups is also the sum of every group: without this, all groups minus the
        # groups shown could tell that hidden groups of several years hold few people.
        relations.append(Relation((ALL, line), tuple((("group", g), line) for g in every_group)))
        for year in years:
            relations.append(Relation(
                (("year", year), line),
                tuple((("group", g), line) for g in groups_by_year[year]),
            ))
    return relations


ALL = ("all",)


def scopes(groups_by_year: Mapping[int, Sequence[int]]) -> list[tuple]:
    """Return every scope of the hierarchy: all groups, each cohort year, each group."""
    result: list[tuple] = [ALL]
    for year in sorted(groups_by_year):
        result.append(("year", year))
        result.extend(("group", g) for g in groups_by_year[year])
    return result


class Grid:
    """Number the cells (scope, line) of a report, so relations are built with arithmetic.

    With thousands of groups the relations name millions of cells; small ints hash far
    faster than nested tuples, which is most of what protect() does.
    """

    def __init__(self, groups_by_year: Mapping[int, Sequence[int]], lines: Iterable[Hashable]):
        self.groups_by_year = groups_by_year
        self.scope_list = scopes(groups_by_year)
        self.scope_no = {scope: number for number, scope in enumerate(self.scope_list)}
        self.lines = list(lines)
        self.line_no = {line: number for number, line in enumerate(self.lines)}
        self.width = len(self.lines)

    def cell(self, scope: Hashable, line: Hashable) -> int:
        return self.scope_no[scope] * self.width + self.line_no[line]

    def numbered(self, values: Mapping[tuple, int]) -> dict[int, int]:
        """Return values keyed (scope, line) as values keyed by cell number."""
        scope_no, line_no, width = self.scope_no, self.line_no, self.width
        return {scope_no[scope] * width + line_no[line]: value
                for (scope, line), value in values.items()}

    def roll_up(self, by_group: Mapping[tuple[int, Hashable], object], zero) -> dict[int, object]:
        """Return values keyed (group id, line) summed into every scope's numbered cell.

        A group counts in its own cell, its cohort year's and all groups'; values may be
        anything with +. Groups that are not in the hierarchy are left out.
        """
        width, line_no = self.width, self.line_no
        year_of = {g: y for y, ids in self.groups_by_year.items() for g in ids}
        group_base = {g: self.scope_no[("group", g)] * width for g in year_of}
        year_base = {y: self.scope_no[("year", y)] * width for y in self.groups_by_year}
        all_base = self.scope_no[ALL] * width
        result: dict[int, object] = {}
        for (group_id, line), value in by_group.items():
            base = group_base.get(group_id)
            if base is None:
                continue
            offset = line_no[line]
            result[base + offset] = value
            for cell in (year_base[year_of[group_id]] + offset, all_base + offset):
                result[cell] = result[cell] + value if cell in result else value
        return result

    def hierarchy(self) -> list[Relation]:
        """Return hierarchy_relations() for every line, in cell numbers."""
        width = self.width
        years = sorted(self.groups_by_year)
        year_nos = [self.scope_no[("year", y)] * width for y in years]
        groups_of = {y: [self.scope_no[("group", g)] * width for g in self.groups_by_year[y]]
                     for y in years}
        every = [number for y in years for number in groups_of[y]]
        all_no = self.scope_no[ALL] * width
        relations = []
        for line in range(width):
            relations.append(Relation(all_no + line, tuple(y + line for y in year_nos)))
            relations.append(Relation(all_no + line, tuple(g + line for g in every)))
            for year, year_no in zip(years, year_nos, strict=True):
                relations.append(Relation(year_no + line,
                                          tuple(g + line for g in groups_of[year])))
        return relations

    def within(self, total: Hashable, parts: Sequence[Hashable]) -> list[Relation]:
        """Return total = sum of parts between lines, in every scope."""
        total_no = self.line_no[total]
        part_nos = [self.line_no[part] for part in parts]
        return [Relation(base + total_no, tuple(base + part for part in part_nos))
                for base in range(0, len(self.scope_list) * self.width, self.width)]
