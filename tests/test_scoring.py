"""Scoring rules with known answers, every band edge, and refusal of bad answers."""

from __future__ import annotations

import pytest

from coach.assessments.instruments import AnswerError, Scored, get_instrument, load_file
from tests.test_instruments import VALID

WHO5_ITEMS = ("cheerful", "calm", "active", "rested", "interest")
LIFESTYLE_ITEMS = ("active_days", "sleep", "regular_meals", "vegetables", "company")


def answers_summing_to(item_ids: tuple[str, ...], total: int, top: int) -> dict[str, int]:
    """Spread a raw total over items, filling each up to `top` in turn."""
    answers = {}
    for item_id in item_ids:
        answers[item_id] = min(top, total)
        total -= answers[item_id]
    assert total == 0
    return answers


# --- WHO-5: raw 0-25, x4, bands <=28, 29-50, >50 ------------------------------------------


def test_who5_known_answers():
    who5 = get_instrument("who5")
    answers = {"cheerful": 3, "calm": 2, "active": 4, "rested": 1, "interest": 3}
    # 3 + 2 + 4 + 1 + 3 = 13; 13 x 4 = 52, just over 50.
    assert who5.score(answers) == Scored(raw_score=13, score=52.0, band="good")


def test_who5_extremes():
    who5 = get_instrument("who5")
    assert who5.score(dict.fromkeys(WHO5_ITEMS, 5)) == Scored(25, 100.0, "good")
    assert who5.score(dict.fromkeys(WHO5_ITEMS, 0)) == Scored(0, 0.0, "very_low")


@pytest.mark.parametrize(
    ("raw", "score", "band"),
    [(7, 28.0, "very_low"), (8, 32.0, "low"), (12, 48.0, "low"), (13, 52.0, "good")],
)
def test_who5_band_edges(raw, score, band):
    scored = get_instrument("who5").score(answers_summing_to(WHO5_ITEMS, raw, 5))
    assert (scored.raw_score, scored.score, scored.band) == (raw, score, band)


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "very_low"), (28, "very_low"), (29, "low"), (50, "low"), (51, "good"), (100, "good")],
)
def test_who5_band_limits_on_the_100_point_scale(score, band):
    assert get_instrument("who5").band_for(score).id == band


# --- Work Ability Score: 0-10; poor 0-5, moderate 6-7, good 8-9, excellent 10 -------------


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "poor"),
        (5, "poor"),
        (6, "moderate"),
        (7, "moderate"),
        (8, "good"),
        (9, "good"),
        (10, "excellent"),
    ],
)
def test_was_bands(value, band):
    assert get_instrument("was").score({"current": value}) == Scored(value, float(value), band)


def test_was_every_value_scores_as_itself():
    was = get_instrument("was")
    assert [was.score({"current": v}).score for v in range(11)] == [float(v) for v in range(11)]


# --- lifestyle: raw 0-20, x5; bands 0-40, 41-70, 71-100 -----------------------------------


def test_lifestyle_known_answers():
    lifestyle = get_instrument("lifestyle")
    answers = {"active_days": 2, "sleep": 3, "regular_meals": 4, "vegetables": 1, "company": 2}
    assert lifestyle.score(answers) == Scored(raw_score=12, score=60.0, band="fair")


@pytest.mark.parametrize(
    ("raw", "band"),
    [(0, "attention"), (8, "attention"), (9, "fair"), (14, "fair"), (15, "good"), (20, "good")],
)
def test_lifestyle_band_edges(raw, band):
    scored = get_instrument("lifestyle").score(answers_summing_to(LIFESTYLE_ITEMS, raw, 4))
    assert (scored.raw_score, scored.score, scored.band) == (raw, raw * 5.0, band)


# --- refusals --------------------------------------------------------------------------------


def test_missing_answer_is_refused():
    answers = dict.fromkeys(WHO5_ITEMS, 3)
    del answers["rested"]
    with pytest.raises(AnswerError, match="'rested' is not answered") as caught:
        get_instrument("who5").score(answers)
    assert caught.value.item_id == "rested"
    assert isinstance(caught.value, ValueError)


def test_no_answers_at_all_is_refused():
    with pytest.raises(AnswerError, match="not answered"):
        get_instrument("was").score({})


@pytest.mark.parametrize("value", [6, -1, 100])
def test_out_of_range_answer_is_refused(value):
    answers = dict.fromkeys(WHO5_ITEMS, 3) | {"calm": value}
    with pytest.raises(AnswerError, match=f"{value} is not a possible answer to 'calm'"):
        get_instrument("who5").score(answers)


@pytest.mark.parametrize("value", [11, -1])
def test_was_out_of_range_is_refused(value):
    with pytest.raises(AnswerError, match="not a possible answer"):
        get_instrument("was").score({"current": value})


@pytest.mark.parametrize("value", ["3", 3.0, True, None, [3]])
def test_answer_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(AnswerError):
        get_instrument("was").score({"current": value})


def test_unknown_question_is_refused():
    with pytest.raises(AnswerError, match="unknown question 'extra'"):
        get_instrument("was").score({"current": 5, "extra": 1})


def test_optional_unscored_item_may_be_missing_but_not_invalid(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(VALID, encoding="utf-8")
    mini = load_file(path)
    # first (0-1) + second (0-4), x2; the optional third item does not count.
    assert mini.score({"first": 1, "second": 2}) == Scored(3, 6.0, "high")
    assert mini.score({"first": 1, "second": 2, "comment_free": 1}) == Scored(3, 6.0, "high")
    with pytest.raises(AnswerError, match="'comment_free'"):
        mini.score({"first": 1, "second": 2, "comment_free": 7})


# --- meaningful change ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument_id", "first", "latest", "direction"),
    [
        ("who5", 40, 50, 1),
        ("who5", 40, 48, 0),
        ("who5", 40, 32, 0),
        ("who5", 40, 28, -1),
        ("was", 5, 7, 1),
        ("was", 5, 6, 0),
        ("was", 5, 3, -1),
        ("lifestyle", 50, 65, 1),
    ],
)
def test_meaningful_change(instrument_id, first, latest, direction):
    assert get_instrument(instrument_id).change_is_meaningful(first, latest) == direction
