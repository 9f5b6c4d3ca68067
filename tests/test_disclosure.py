"""Disclosure control: primary and complementary suppression, strict rounding, t intervals."""

from __future__ import annotations

import itertools
import random

import pytest

from coach.assessments.instruments import all_instruments, reliable_change_threshold
from coach.reports.disclosure import (
    ALL,
    POLICIES,
    Relation,
    get_policy,
    hierarchy_relations,
    protect,
    scopes,
)
from coach.reports.stats import mean_interval, t_quantile_975


def recomputable(values, hidden, relations, threshold):
    """Return the relations that leak: one hidden cell, or a total minus shown parts < threshold."""
    leaks = []
    for relation in relations:
        cells = [relation.total, *relation.parts]
        hidden_cells = [cell for cell in cells if cell in hidden]
        if len(hidden_cells) == 1:
            leaks.append(relation)
        elif hidden_cells and relation.total not in hidden:
            hidden_sum = values[relation.total] - sum(
                values[p] for p in relation.parts if p not in hidden)
            if hidden_sum < threshold:
                leaks.append(relation)
    return leaks


def test_counts_below_the_threshold_are_hidden_with_a_complement():
    values = {"total": 12, "a": 7, "b": 3, "c": 2}
    relation = Relation("total", ("a", "b", "c"))
    # b + c = 5 would be known from 12 - 7, which is allowed (5 >= 5); b and c stay hidden.
    assert protect(values, [relation], 5) == {"b", "c"}


def test_a_lone_hidden_cell_gets_a_complement():
    values = {"total": 14, "a": 9, "b": 1, "c": 0, "d": 4}
    hidden = protect(values, [Relation("total", ("a", "b", "c", "d"))], 5)
    assert {"b", "c", "d"} <= hidden
    assert not recomputable(values, hidden, [Relation("total", ("a", "b", "c", "d"))], 5)


def test_no_all_or_none_statement_about_a_group():
    # Everyone of seven is in one category: showing 7 of 7 would say "all", 0 "none".
    values = {"total": 7, "employed": 7, "unemployed": 0, "other": 0}
    hidden = protect(values, [Relation("total", ("employed", "unemployed", "other"))], 5)
    assert {"employed", "unemployed", "other"} <= hidden


def test_zero_is_hidden_too():
    assert protect({"x": 0}, [], 5) == {"x"}


def test_hidden_cell_in_one_group_cannot_be_recomputed_from_all_groups():
    # Group 1 has 3 people in month 0 (hidden); group 2 has 9; all groups 12.
    by_year = {2025: [1, 2]}
    values = {(("group", 1), 0): 3, (("group", 2), 0): 9,
              (("year", 2025), 0): 12, (ALL, 0): 12}
    relations = hierarchy_relations(by_year, [0])
    hidden = protect(values, relations, 5)
    assert (("group", 1), 0) in hidden
    assert (("group", 2), 0) in hidden  # the complement
    assert not recomputable(values, hidden, relations, 5)


@pytest.mark.parametrize("seed", range(40))
def test_random_hierarchies_never_leak(seed):
    rng = random.Random(seed)
    by_year = {2020 + y: list(range(y * 10, y * 10 + rng.randint(1, 4))) for y in range(3)}
    categories = ["a", "b", "c", "d"]
    group_values = {(g, c): rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12])
                    for ids in by_year.values() for g in ids for c in categories}
    values = {}
    for (g, c), v in group_values.items():
        year = next(y for y, ids in by_year.items() if g in ids)
        for scope in (("group", g), ("year", year), ALL):
            values[(scope, c)] = values.get((scope, c), 0) + v
            values[(scope, "total")] = values.get((scope, "total"), 0) + v
    relations = hierarchy_relations(by_year, [*categories, "total"])
    relations += [Relation((s, "total"), tuple((s, c) for c in categories))
                  for s in scopes(by_year)]
    for policy in POLICIES.values():
        hidden = protect(values, relations, policy.min_count)
        assert all(values[key] >= policy.min_count for key in values.keys() - hidden)
        assert not recomputable(values, hidden, relations, policy.min_count)


def test_strict_rounds_counts_to_five_and_standard_does_not():
    strict, standard = get_policy("strict"), get_policy("standard")
    assert [strict.round_count(v) for v in (8, 12, 13, 15, 17, 18)] == [10, 10, 15, 15, 15, 20]
    assert standard.round_count(13) == 13
    assert (strict.min_count, strict.min_mean_n) == (8, 6)  # counts <= 7 and means of <= 5
    assert (standard.min_count, standard.min_mean_n) == (5, 5)
    assert get_policy("nonsense").name == "standard"


def test_t_quantiles_match_the_tables():
    assert t_quantile_975(1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile_975(6) == pytest.approx(2.447, abs=1e-3)
    assert t_quantile_975(40) == pytest.approx(2.021, abs=1e-3)
    assert t_quantile_975(120) == pytest.approx(1.980, abs=1e-3)
    with pytest.raises(ValueError):
        t_quantile_975(0)


def test_mean_interval_from_sums_is_students_t():
    scores = [40, 52, 36, 60, 48, 44, 56]
    interval = mean_interval(len(scores), sum(scores), sum(s * s for s in scores))
    # mean 48, sample SD 8.641, t(6) = 2.447: half-width 7.99
    assert interval.mean == pytest.approx(48)
    assert interval.sd == pytest.approx(8.641, abs=1e-3)
    assert interval.high - interval.mean == pytest.approx(2.447 * 8.641 / 7 ** 0.5, abs=1e-2)
    assert mean_interval(1, 40, 1600).low is None
    assert mean_interval(0, 0, 0) is None


def test_reliable_change_threshold_is_jacobson_truax():
    assert reliable_change_threshold(20, 0.82) == pytest.approx(23.52, abs=0.01)
    given = [instrument.reliable_change for instrument in all_instruments()
             if instrument.reliable_change and instrument.reliable_change.sd]
    assert given  # the instruments' thresholds are this one's
    for rc in given:
        assert rc.threshold == reliable_change_threshold(rc.sd, rc.r)
    # Every combination of a small table keeps the hidden sum at or above the threshold.
    for a, b in itertools.product(range(0, 9), repeat=2):
        values = {"t": a + b + 6, "a": a, "b": b, "c": 6}
        hidden = protect(values, [Relation("t", ("a", "b", "c"))], 5)
        assert not recomputable(values, hidden, [Relation("t", ("a", "b", "c"))], 5)


def test_grid_numbers_the_same_relations_as_the_hierarchy():
    from coach.reports.disclosure import Grid

    by_year = {2024: [3, 1], 2025: [7]}
    lines = [(0, "a"), (0, "b"), (1, "a")]
    grid = Grid(by_year, lines)
    named = {(grid.cell(*r.total), tuple(grid.cell(*p) for p in r.parts))
             for r in hierarchy_relations(by_year, lines)}
    numbered = {(r.total, r.parts) for r in grid.hierarchy()}
    assert named == numbered
    within = grid.within((0, "a"), [(0, "b")])
    assert {(r.total, r.parts) for r in within} == {
        (grid.cell(scope, (0, "a")), (grid.cell(scope, (0, "b")),)) for scope in scopes(by_year)}
    values = {(ALL, (0, "a")): 9, (("year", 2025), (1, "a")): 2}
    assert grid.numbered(values) == {grid.cell(*key): value for key, value in values.items()}
