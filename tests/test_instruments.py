"""Instrument files: the shipped ones load; each kind of malformed file is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.assessments import instruments
from coach.assessments.instruments import (
    InstrumentFileError,
    all_instruments,
    get_instrument,
    load_directory,
    load_file,
)

VALID = """\
id = "mini"
version = "1"
validated = false
provenance = "Written for the tests."
licence = "Free."

[official_translation]
fi = true
sv = true
en = true

[name]
fi = "Mini"
sv = "Mini"
en = "Mini"

[intro]
fi = "Kaksi kysymystä."
sv = "Två frågor."
en = "Two questions."

[response_sets]
yes_no = [
    { value = 1, label = { fi = "Kyllä", sv = "Ja", en = "Yes" } },
    { value = 0, label = { fi = "Ei", sv = "Nej", en = "No" } },
]

[[items]]
id = "first"
type = "choice"
options = "yes_no"
text = { fi = "Eka?", sv = "Första?", en = "First?" }

[[items]]
id = "second"
type = "scale"
min = 0
max = 4
text = { fi = "Toka?", sv = "Andra?", en = "Second?" }
min_label = { fi = "Ei", sv = "Nej", en = "No" }
max_label = { fi = "Paljon", sv = "Mycket", en = "A lot" }

[[items]]
id = "comment_free"
type = "choice"
required = false
scored = false
options = "yes_no"
text = { fi = "Kolmas?", sv = "Tredje?", en = "Third?" }

[scoring]
method = "sum"
factor = 2
min_score = 0
max_score = 10
meaningful_change = 2

[[scoring.bands]]
id = "low"
min = 0
max = 4
label = { fi = "Matala", sv = "Låg", en = "Low" }

[[scoring.bands]]
id = "high"
min = 5
max = 10
label = { fi = "Korkea", sv = "Hög", en = "High" }
"""


def write(tmp_path: Path, text: str, name: str = "mini.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mutated(old: str, new: str) -> str:
    assert old in VALID, old  # guard the test itself against drift
    return VALID.replace(old, new, 1)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(InstrumentFileError) as caught:
        load_file(write(tmp_path, text))
    message = str(caught.value)
    assert message.startswith("mini.toml: "), message
    return message


def test_valid_file_loads(tmp_path):
    instrument = load_file(write(tmp_path, VALID))
    assert [item.id for item in instrument.items] == ["first", "second", "comment_free"]
    assert instrument.item("second").values == frozenset(range(5))
    assert instrument.item("first").options[0].label.get("sv") == "Ja"
    assert instrument.scoring.factor == 2
    assert [band.id for band in instrument.scoring.bands] == ["low", "high"]


@pytest.mark.parametrize("field", ["id", "version", "validated", "provenance", "licence"])
def test_missing_top_level_field_is_refused(tmp_path, field):
    text = "\n".join(line for line in VALID.splitlines() if not line.startswith(f"{field} ="))
    assert f"missing field '{field}'" in refused(tmp_path, text)


def test_missing_item_text_is_refused(tmp_path):
    text = mutated('text = { fi = "Eka?", sv = "Första?", en = "First?" }\n', "")
    assert "missing field 'items[0].text'" in refused(tmp_path, text)


def test_missing_scoring_field_is_refused(tmp_path):
    assert "missing field 'scoring.meaningful_change'" in refused(
        tmp_path, mutated("meaningful_change = 2\n", "")
    )


def test_unknown_item_type_is_refused(tmp_path):
    message = refused(tmp_path, mutated('type = "scale"', 'type = "slider"'))
    assert "item 'second' has an unknown type 'slider'" in message


def test_unknown_field_is_refused(tmp_path):
    message = refused(tmp_path, mutated('licence = "Free."', 'licence = "Free."\ncolour = "red"'))
    assert "unknown field 'colour'" in message


def test_unknown_field_in_an_item_is_refused(tmp_path):
    message = refused(tmp_path, mutated('options = "yes_no"\n', 'options = "yes_no"\nweight = 2\n'))
    assert "unknown field 'items[0].weight'" in message


def test_wrong_value_type_is_refused(tmp_path):
    message = refused(tmp_path, mutated('version = "1"', "version = 1"))
    assert "field 'version' must be text, not a whole number" in message


def test_duplicate_item_id_is_refused(tmp_path):
    assert "duplicate item id 'first'" in refused(
        tmp_path, mutated('id = "second"', 'id = "first"')
    )


def test_label_missing_a_language_is_refused(tmp_path):
    message = refused(
        tmp_path,
        mutated('{ fi = "Eka?", sv = "Första?", en = "First?" }', '{ fi = "Eka?", en = "First?" }'),
    )
    assert "items[0].text is missing the 'sv' label" in message


def test_empty_label_is_refused(tmp_path):
    message = refused(tmp_path, mutated('en = "Two questions."', 'en = "  "'))
    assert "intro is missing the 'en' label" in message


def test_option_label_missing_a_language_is_refused(tmp_path):
    message = refused(
        tmp_path, mutated('{ fi = "Ei", sv = "Nej", en = "No" } },', '{ fi = "Ei", sv = "Nej" } },')
    )
    assert "response_sets.yes_no[1].label is missing the 'en' label" in message


def test_unknown_language_is_refused(tmp_path):
    message = refused(tmp_path, mutated('fi = "Mini"\n', 'fi = "Mini"\nde = "Mini"\n'))
    assert "unknown language 'de'" in message


def test_missing_official_translation_flag_is_refused(tmp_path):
    message = refused(tmp_path, mutated("sv = true\n", ""))
    assert "missing field 'official_translation.sv'" in message


def test_unknown_response_set_is_refused(tmp_path):
    message = refused(tmp_path, mutated('options = "yes_no"', 'options = "maybe"'))
    assert "unknown response set 'maybe'" in message


def test_duplicate_option_value_is_refused(tmp_path):
    message = refused(tmp_path, mutated("{ value = 0, label", "{ value = 1, label"))
    assert "response_sets.yes_no has the same value twice" in message


def test_band_gap_is_refused(tmp_path):
    # Scores are even numbers 0-10; a gap over 6 leaves an achievable score uncovered.
    text = mutated("min = 5\nmax = 10", "min = 7\nmax = 10")
    assert "no band covers the score 6" in refused(tmp_path, text)


def test_gap_without_any_possible_score_is_allowed(tmp_path):
    # 5 cannot occur (scores are even), so starting the band at 6 leaves no real gap.
    instrument = load_file(write(tmp_path, mutated("min = 5\nmax = 10", "min = 6\nmax = 10")))
    assert instrument.score({"first": 1, "second": 2}).band == "high"


def test_band_overlap_is_refused(tmp_path):
    text = mutated("min = 5\nmax = 10", "min = 4\nmax = 10")
    assert "bands 'low' and 'high' overlap" in refused(tmp_path, text)


def test_band_outside_score_range_is_refused(tmp_path):
    text = mutated("min = 5\nmax = 10", "min = 5\nmax = 12")
    assert "band 'high' (5–12) is outside the score range 0–10" in refused(tmp_path, text)


def test_declared_range_that_items_cannot_reach_is_refused(tmp_path):
    message = refused(tmp_path, mutated("max_score = 10", "max_score = 12"))
    assert "scoring range 0–12 does not match the items, which give 0–10" in message


def test_meaningful_change_outside_range_is_refused(tmp_path):
    message = refused(tmp_path, mutated("meaningful_change = 2", "meaningful_change = 11"))
    assert "meaningful_change 11 is outside the score range 0–10" in message


def test_zero_scale_factor_is_refused(tmp_path):
    assert "scoring.factor must be greater than 0" in refused(
        tmp_path, mutated("factor = 2", "factor = 0")
    )


def test_unknown_scoring_method_is_refused(tmp_path):
    assert "unknown method 'mean'" in refused(
        tmp_path, mutated('method = "sum"', 'method = "mean"')
    )


def test_scored_optional_item_is_refused(tmp_path):
    text = mutated('id = "first"\n', 'id = "first"\nrequired = false\n')
    assert "item 'first' is scored, so it must be required" in refused(tmp_path, text)


def test_scale_with_max_not_above_min_is_refused(tmp_path):
    assert "max must be greater than min" in refused(tmp_path, mutated("max = 4\n", "max = 0\n"))


def test_bad_item_id_is_refused(tmp_path):
    assert "must be lower-case letters" in refused(
        tmp_path, mutated('id = "first"', 'id = "First!"')
    )


def test_id_must_match_file_name(tmp_path):
    with pytest.raises(InstrumentFileError, match=r"other\.toml: id 'mini' must match"):
        load_file(write(tmp_path, VALID, name="other.toml"))


def test_invalid_toml_is_refused(tmp_path):
    assert "not valid TOML" in refused(tmp_path, VALID + "\n[[items]\n")


def test_empty_directory_is_refused(tmp_path):
    with pytest.raises(InstrumentFileError, match="no instrument files"):
        load_directory(tmp_path)


def test_malformed_file_stops_app_start_up(tmp_path, monkeypatch, settings):
    from coach.app import create_app

    write(tmp_path, mutated('type = "scale"', 'type = "slider"'))
    monkeypatch.setattr(instruments, "INSTRUMENTS_DIR", tmp_path)
    instruments._registry.cache_clear()
    try:
        with pytest.raises(InstrumentFileError, match="mini.toml: item 'second'"):
            create_app(settings)
    finally:
        monkeypatch.undo()
        instruments._registry.cache_clear()
    assert get_instrument("who5").id == "who5"  # the shipped files load again


def test_shipped_instruments():
    assert sorted(instrument.id for instrument in all_instruments()) == ["lifestyle", "was", "who5"]
    who5, was, lifestyle = (get_instrument(name) for name in ("who5", "was", "lifestyle"))
    assert len(who5.items) == 5
    assert all(item.values == frozenset(range(6)) for item in who5.items)
    assert who5.item("cheerful").text.en == "I have felt cheerful and in good spirits"
    assert (who5.scoring.factor, who5.scoring.max_score) == (4, 100)
    assert who5.scoring.meaningful_change == 10
    assert who5.official == {"fi": False, "sv": False, "en": True}
    assert who5.validated and was.validated and not lifestyle.validated
    assert len(was.items) == 1 and was.items[0].values == frozenset(range(11))
    assert was.scoring.meaningful_change == 2
    assert [band.id for band in was.scoring.bands] == ["poor", "moderate", "good", "excellent"]


def test_unknown_instrument_is_a_key_error():
    with pytest.raises(KeyError):
        get_instrument("swemwbs")
