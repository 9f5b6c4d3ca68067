"""The export's rules as plain functions: pseudonyms, k-anonymity, cells and row checks."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from coach.choices import Education, Gender, LabourStatus
from coach.export.kanon import (
    AGE_BANDS_10,
    LADDER,
    QI_COLUMNS,
    SUPPRESSED,
    age_band_10,
    age_band_20,
    anonymise,
    classes,
    quasi_identifiers,
)
from coach.export.pseudonyms import Pseudonyms
from coach.export.schema import tables
from coach.export.writer import EXCEL_FI, STANDARD, ExportInvalid, TableWriter, guard_formula


def people(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        status = rng.choice(list(LabourStatus)).value
        duration = rng.choice(["under_6", "6_12", "12_24", "over_24", None]) if (
            status == "unemployed") else None
        rows.append(quasi_identifiers(rng.choice(list(Gender)).value, rng.randint(18, 68),
                                      rng.choice(list(Education)).value, status, duration))
    return rows


def test_pseudonyms_are_one_to_one_and_new_with_every_key():
    first, second = Pseudonyms(), Pseudonyms()
    ids = [first.of("participant", n) for n in range(1, 20001)]
    again = [second.of("participant", n) for n in range(1, 20001)]

    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(again)
    assert ids == [first.of("participant", n) for n in range(1, 20001)]  # stable within one
    assert all(i.startswith("P") and len(i) == 17 for i in ids)
    assert first.of("group", 1) != first.of("participant", 1)[0:1] + first.of("group", 1)[1:]


def test_every_ten_year_age_band_lies_in_one_twenty_year_band():
    inside = {}
    for age in range(15, 95):
        inside.setdefault(age_band_10(age), set()).add(age_band_20(age))
    assert set(inside) == set(AGE_BANDS_10)
    assert all(len(bands) == 1 for bands in inside.values())


@pytest.mark.parametrize(("count", "k"), [(14, 5), (60, 3), (400, 5), (3000, 5), (3000, 10)])
def test_every_combination_is_shared_by_at_least_k(count, k):
    outcome = anonymise(people(count, seed=count), k)

    sizes = classes(outcome.rows)
    assert min(sizes.values()) >= k
    assert len(outcome.rows) == count


def test_many_people_keep_detail_and_only_a_few_are_suppressed_locally():
    outcome = anonymise(people(3000, seed=7), 5)

    assert outcome.step < len(LADDER) - 1  # gender at least is still shown
    everything_hidden = tuple([SUPPRESSED] * len(QI_COLUMNS))
    hidden = classes(outcome.rows).get(everything_hidden, 0)
    assert hidden == outcome.locally_suppressed
    assert outcome.locally_suppressed <= 300
    assert Counter(row["gender"] for row in outcome.rows).most_common(1)[0][0] != SUPPRESSED


def test_fewer_than_k_people_get_everything_suppressed():
    outcome = anonymise(people(3), 5)

    assert all(value == SUPPRESSED for row in outcome.rows for value in row.values())


def test_the_same_people_give_the_same_generalisation():
    rows = people(500, seed=3)
    assert anonymise(rows, 5) == anonymise(list(rows), 5)


def test_rare_people_are_suppressed_locally_when_that_is_enough():
    common = [quasi_identifiers("female", 30, "basic", "unemployed", "over_24")] * 40
    rare = [quasi_identifiers("male", 20 + 10 * n, "tertiary", "education", None)
            for n in range(5)]
    outcome = anonymise(common + rare, 5)

    assert outcome.step == 0 and outcome.locally_suppressed == 5
    assert outcome.rows[:40] == common
    assert all(value == SUPPRESSED for row in outcome.rows[40:] for value in row.values())


def test_formula_starts_are_defused_but_numbers_are_not():
    assert guard_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert guard_formula("@SUM(A1)") == "'@SUM(A1)"
    assert guard_formula("+1+1") == "'+1+1"  # a formula, not a number
    assert guard_formula("-3") == "-3"
    assert guard_formula("-x") == "'-x"
    assert guard_formula("20-29") == "20-29"


def writer(tmp_path, name="assessments", references=None, fmt=STANDARD):
    schema = {t.name: t for t in tables()}[name]
    return TableWriter(schema, tmp_path / schema.path, fmt, references or {
        "participants": {"P0000000000000001"}})


def good_assessment(**changes):
    row = {"assessment_id": "A0000000000000001", "participant_id": "P0000000000000001",
           "instrument": "who5", "instrument_version": "1998", "month": 2, "raw_score": 12,
           "score": 48.0, "band": "low", "mode": "invite"}
    row.update(changes)
    return row


@pytest.mark.parametrize("changes", [
    {"instrument": "unknown"},  # not an allowed value
    {"month": "2"},  # not a whole number
    {"score": float("nan")},
    {"participant_id": "P0000000000000002"},  # foreign key missing
    {"participant_id": None},  # required
    {"band": SUPPRESSED},  # not a quasi-identifier
    {"assessment_id": "42"},  # not a pseudonym
])
def test_writer_refuses_a_row_that_breaks_the_schema(tmp_path, changes):
    out = writer(tmp_path)
    with pytest.raises(ExportInvalid):
        out.write(good_assessment(**changes))
    out.close()


def test_writer_refuses_a_repeated_primary_key(tmp_path):
    out = writer(tmp_path)
    out.write(good_assessment())
    with pytest.raises(ExportInvalid):
        out.write(good_assessment())
    out.close()


def test_writer_for_finnish_spreadsheets_uses_semicolons_and_decimal_commas(tmp_path):
    out = writer(tmp_path, fmt=EXCEL_FI)
    out.write(good_assessment(score=48.5))
    out.close()

    raw = (tmp_path / "assessments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfassessment_id;participant_id;")
    assert b";48,5;" in raw and raw.endswith(b"\r\n")
