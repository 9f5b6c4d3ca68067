"""Instruments as data: load, validate and score the TOML files in instruments/.

Adding an instrument needs only a new file. Every file is checked strictly when
the app starts; a malformed one stops start-up with InstrumentFileError, whose
message names the file and the problem.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from coach.assessments.schedule import Cadence

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
LANGUAGES = ("fi", "sv", "en")
ITEM_TYPES = ("choice", "scale")
SCORING_METHODS = ("sum",)
ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
# Floating-point slack when comparing scaled scores with band edges.
EPSILON = 1e-9


class InstrumentFileError(Exception):
    """An instrument file is malformed; the message names the file and the problem."""


class AnswerError(ValueError):
    """Answers are missing, unknown or out of range; nothing may be stored."""

    def __init__(self, message: str, item_id: str | None = None):
        super().__init__(message)
        self.item_id = item_id


@dataclass(frozen=True)
class Text:
    """A label in every language."""

    fi: str
    sv: str
    en: str

    def get(self, language: str) -> str:
        """Return the label in a language, English when the language is unknown."""
        return getattr(self, language) if language in LANGUAGES else self.en


@dataclass(frozen=True)
class Option:
    value: int
    label: Text | None  # None on a numeric scale: the number is the label


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: Text
    options: tuple[Option, ...]
    required: bool = True
    scored: bool = True
    min_label: Text | None = None  # scale anchors, e.g. "completely unable to work"
    max_label: Text | None = None

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True)
class Band:
    id: str
    min: float
    max: float
    label: Text

    def contains(self, score: float) -> bool:
        return self.min - EPSILON <= score <= self.max + EPSILON


@dataclass(frozen=True)
class Scoring:
    method: str
    factor: float
    min_score: float
    max_score: float
    meaningful_change: float
    higher_is_better: bool
    bands: tuple[Band, ...]
    # A score at or below this asks for care: kind words and help for the participant,
    # a next step for the coach (coach/assessments/care.py). None: the instrument never does.
    care_at_or_below: float | None = None


@dataclass(frozen=True)
class ReliableChange:
    """Published reference values for Jacobson and Truax's reliable change.

    Either sd and r are given, and the threshold is 1.96 x SD x sqrt(2) x sqrt(1 - r),
    or a published smallest detectable change is the threshold itself.
    """

    threshold: float
    sd: float | None
    r: float | None
    source: str


@dataclass(frozen=True)
class Scored:
    raw_score: int
    score: float
    band: str


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    name: Text
    intro: Text
    items: tuple[Item, ...]
    scoring: Scoring
    provenance: str
    licence: str
    validated: bool
    official: dict[str, bool]  # language -> is this the instrument's official wording
    source: str  # the file name, for messages
    order: int = 100  # position in a check; lower comes first
    reliable_change: ReliableChange | None = None  # for evaluators' reports
    schedule: Cadence = Cadence()  # the measurement points at which a check asks it

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def band(self, band_id: str) -> Band:
        for band in self.scoring.bands:
            if band.id == band_id:
                return band
        raise KeyError(band_id)

    def band_for(self, score: float) -> Band:
        """Return the band a score falls in."""
        for band in self.scoring.bands:
            if band.contains(score):
                return band
        raise AnswerError(f"{self.id}: score {score} is outside every band")

    def check_answers(self, answers: dict[str, Any]) -> dict[str, int]:
        """Return the answers as ints, refusing unknown items and missing or invalid values."""
        known = {item.id for item in self.items}
        for item_id in answers:
            if item_id not in known:
                raise AnswerError(f"{self.id}: unknown question {item_id!r}", item_id)
        clean: dict[str, int] = {}
        for item in self.items:
            value = answers.get(item.id)
            if value is None:
                if item.required:
                    raise AnswerError(f"{self.id}: question {item.id!r} is not answered", item.id)
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise AnswerError(
                    f"{self.id}: the answer to {item.id!r} must be a whole number", item.id
                )
            if value not in item.values:
                raise AnswerError(
                    f"{self.id}: {value} is not a possible answer to {item.id!r}", item.id
                )
            clean[item.id] = value
        return clean

    def score(self, answers: dict[str, Any]) -> Scored:
        """Score a complete set of answers; raise AnswerError if any is missing or invalid."""
        clean = self.check_answers(answers)
        raw = sum(clean[item.id] for item in self.items if item.scored)
        score = raw * self.scoring.factor
        return Scored(raw_score=raw, score=score, band=self.band_for(score).id)

    def change_is_meaningful(self, first: float, latest: float) -> int:
        """Return 1 if better by at least the meaningful change, -1 if worse, else 0."""
        change = latest - first
        if not self.scoring.higher_is_better:
            change = -change
        if change >= self.scoring.meaningful_change - EPSILON:
            return 1
        if change <= -self.scoring.meaningful_change + EPSILON:
            return -1
        return 0


# --- validation -------------------------------------------------------------------------


class _Reader:
    """Read one table of a file strictly: known keys only, each of the right type."""

    def __init__(self, table: Any, where: str, fail):
        if not isinstance(table, dict):
            fail(f"{where or 'the file'} must be a table")
        self.table = table
        self.where = where
        self.fail = fail
        self.used: set[str] = set()

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(
        self, key: str, kinds: type | tuple[type, ...], required: bool = True, default: Any = None
    ) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                self.fail(f"missing field {self._path(key)!r}")
            return default
        value = self.table[key]
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        # TOML booleans are not numbers here, and integers are fine where floats are.
        ok = any(
            (
                isinstance(value, bool)
                if kind is bool
                else isinstance(value, kind) and not isinstance(value, bool)
            )
            for kind in kinds
        )
        if not ok:
            names = " or ".join(_type_name(kind) for kind in kinds)
            self.fail(f"field {self._path(key)!r} must be {names}, not {_type_name(type(value))}")
        return value

    def text(self, key: str, required: bool = True) -> Text | None:
        value = self.get(key, dict, required=required)
        if value is None:
            return None
        return _text(value, self._path(key), self.fail)

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            self.fail(f"unknown field {self._path(unknown[0])!r}")


def _type_name(kind: type) -> str:
    return {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        dict: "a table",
        list: "a list",
    }.get(kind, kind.__name__)


def _text(value: Any, where: str, fail) -> Text:
    if not isinstance(value, dict):
        fail(f"{where} must be a table of labels by language")
    for language in LANGUAGES:
        label = value.get(language)
        if not isinstance(label, str) or not label.strip():
            fail(f"{where} is missing the {language!r} label")
    extra = sorted(set(value) - set(LANGUAGES))
    if extra:
        fail(f"{where} has an unknown language {extra[0]!r}")
    return Text(**{language: value[language].strip() for language in LANGUAGES})


def _check_id(value: str, where: str, fail) -> str:
    if not value or not set(value) <= ID_CHARS:
        fail(f"{where} {value!r} must be lower-case letters, digits and _")
    return value


def _options(raw: Any, where: str, fail) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        fail(f"{where} must be a non-empty list of options")
    options: list[Option] = []
    for index, entry in enumerate(raw):
        reader = _Reader(entry, f"{where}[{index}]", fail)
        value = reader.get("value", int)
        label = reader.text("label")
        reader.done()
        options.append(Option(value=value, label=label))
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        fail(f"{where} has the same value twice")
    return tuple(options)


def _item(raw: Any, index: int, response_sets: dict[str, tuple[Option, ...]], fail) -> Item:
    where = f"items[{index}]"
    reader = _Reader(raw, where, fail)
    item_id = _check_id(reader.get("id", str), f"{where}.id", fail)
    where = f"item {item_id!r}"
    kind = reader.get("type", str)
    if kind not in ITEM_TYPES:
        fail(f"{where} has an unknown type {kind!r}; use one of {', '.join(ITEM_TYPES)}")
    text = reader.text("text")
    required = reader.get("required", bool, required=False, default=True)
    scored = reader.get("scored", bool, required=False, default=True)
    min_label = max_label = None
    if kind == "choice":
        options_raw = reader.get("options", (str, list))
        if isinstance(options_raw, str):
            if options_raw not in response_sets:
                fail(f"{where} uses an unknown response set {options_raw!r}")
            options = response_sets[options_raw]
        else:
            options = _options(options_raw, f"{where}.options", fail)
    else:
        low = reader.get("min", int)
        high = reader.get("max", int)
        if high <= low:
            fail(f"{where}: max must be greater than min")
        min_label = reader.text("min_label")
        max_label = reader.text("max_label")
        options = tuple(Option(value=value, label=None) for value in range(low, high + 1))
    reader.done()
    if scored and not required:
        # A missing answer would silently lower the sum.
        fail(f"{where} is scored, so it must be required")
    return Item(
        id=item_id,
        type=kind,
        text=text,
        options=options,
        required=required,
        scored=scored,
        min_label=min_label,
        max_label=max_label,
    )


def _possible_raw_scores(items: tuple[Item, ...]) -> set[int]:
    sums = {0}
    for item in items:
        if item.scored:
            sums = {total + value for total in sums for value in item.values}
    return sums


def _scoring(raw: Any, items: tuple[Item, ...], fail) -> Scoring:
    reader = _Reader(raw, "scoring", fail)
    method = reader.get("method", str)
    if method not in SCORING_METHODS:
        fail(f"scoring has an unknown method {method!r}; use one of {', '.join(SCORING_METHODS)}")
    factor = float(reader.get("factor", (int, float), required=False, default=1))
    if not math.isfinite(factor) or factor <= 0:
        fail("scoring.factor must be greater than 0")
    min_score = float(reader.get("min_score", (int, float)))
    max_score = float(reader.get("max_score", (int, float)))
    meaningful = float(reader.get("meaningful_change", (int, float)))
    higher_is_better = reader.get("higher_is_better", bool, required=False, default=True)
    care = reader.get("care_at_or_below", (int, float), required=False)
    bands_raw = reader.get("bands", list)
    reader.done()

    if not any(item.scored for item in items):
        fail("scoring needs at least one scored item")
    possible = sorted(raw_score * factor for raw_score in _possible_raw_scores(items))
    if abs(possible[0] - min_score) > EPSILON or abs(possible[-1] - max_score) > EPSILON:
        fail(
            f"scoring range {min_score:g}–{max_score:g} does not match the items, "
            f"which give {possible[0]:g}–{possible[-1]:g}"
        )
    if not 0 < meaningful <= max_score - min_score:
        fail(
            f"scoring.meaningful_change {meaningful:g} is outside the score range "
            f"{min_score:g}–{max_score:g}"
        )

    if care is not None:
        if not higher_is_better:
            fail("scoring.care_at_or_below needs a scale where a higher score is better")
        if not min_score <= care < max_score:
            fail(
                f"scoring.care_at_or_below {care:g} is outside the score range "
                f"{min_score:g}–{max_score:g}"
            )

    bands: list[Band] = []
    for index, entry in enumerate(bands_raw):
        band_reader = _Reader(entry, f"scoring.bands[{index}]", fail)
        band_id = _check_id(band_reader.get("id", str), f"scoring.bands[{index}].id", fail)
        low = float(band_reader.get("min", (int, float)))
        high = float(band_reader.get("max", (int, float)))
        label = band_reader.text("label")
        band_reader.done()
        if high < low:
            fail(f"band {band_id!r}: max {high:g} is below min {low:g}")
        if low < min_score - EPSILON or high > max_score + EPSILON:
            fail(
                f"band {band_id!r} ({low:g}–{high:g}) is outside the score range "
                f"{min_score:g}–{max_score:g}"
            )
        bands.append(Band(id=band_id, min=low, max=high, label=label))
    if not bands:
        fail("scoring.bands must list at least one band")
    if len({band.id for band in bands}) != len(bands):
        fail("scoring.bands has the same id twice")
    ordered = sorted(bands, key=lambda band: band.min)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.min <= before.max + EPSILON:
            fail(f"bands {before.id!r} and {after.id!r} overlap")
    for score in possible:
        if not any(band.contains(score) for band in ordered):
            fail(f"no band covers the score {score:g} (a gap between bands)")
    return Scoring(
        method=method,
        factor=factor,
        min_score=min_score,
        max_score=max_score,
        meaningful_change=meaningful,
        higher_is_better=higher_is_better,
        bands=tuple(ordered),
        care_at_or_below=None if care is None else float(care),
    )


def reliable_change_threshold(sd: float, r: float) -> float:
    """Return Jacobson and Truax's threshold: 1.96 x SD x sqrt(2) x sqrt(1 - r)."""
    return 1.96 * sd * math.sqrt(2) * math.sqrt(1 - r)


def _reliable_change(raw: Any, scoring: Scoring, fail) -> ReliableChange:
    reader = _Reader(raw, "reliable_change", fail)
    sd = reader.get("sd", (int, float), required=False)
    r = reader.get("r", (int, float), required=False)
    sdc = reader.get("smallest_detectable_change", (int, float), required=False)
    source = reader.get("source", str).strip()
    reader.done()
    if not source:
        fail("reliable_change.source must name where the values come from")
    span = scoring.max_score - scoring.min_score
    if sdc is not None:
        if sd is not None or r is not None:
            fail("reliable_change takes sd and r, or smallest_detectable_change, not both")
        if not 0 < sdc < span:
            fail("reliable_change.smallest_detectable_change is outside the score range")
        return ReliableChange(float(sdc), None, None, source)
    if sd is None or r is None:
        fail("reliable_change needs sd and r, or smallest_detectable_change")
    if not 0 < sd < span or not 0 <= r < 1:
        fail("reliable_change needs 0 < sd < the score range and 0 <= r < 1")
    return ReliableChange(reliable_change_threshold(sd, r), float(sd), float(r), source)


def _schedule(raw: Any, fail) -> Cadence:
    reader = _Reader(raw, "schedule", fail)
    cadence = Cadence(
        baseline=reader.get("baseline", bool, required=False, default=True),
        interim_every=reader.get("interim_every", int, required=False, default=1),
        end=reader.get("end", bool, required=False, default=True),
        follow_up=reader.get("follow_up", bool, required=False, default=True),
    )
    reader.done()
    if not 0 <= cadence.interim_every <= 52:
        fail("schedule.interim_every must be 0 (never) to 52")
    return cadence


def parse_instrument(data: dict[str, Any], source: str) -> Instrument:
    """Build an Instrument from a parsed file, raising InstrumentFileError on any problem."""

    def fail(problem: str):
        raise InstrumentFileError(f"{source}: {problem}")

    reader = _Reader(data, "", fail)
    instrument_id = _check_id(reader.get("id", str), "id", fail)
    version = reader.get("version", str)
    if not version.strip():
        fail("version must not be empty")
    name = reader.text("name")
    intro = reader.text("intro")
    provenance = reader.get("provenance", str)
    licence = reader.get("licence", str)
    validated = reader.get("validated", bool)
    official_raw = reader.get("official_translation", dict)
    order = reader.get("order", int, required=False, default=100)
    sets_raw = reader.get("response_sets", dict, required=False, default={})
    items_raw = reader.get("items", list)
    scoring_raw = reader.get("scoring", dict)
    reliable_raw = reader.get("reliable_change", dict, required=False)
    schedule_raw = reader.get("schedule", dict, required=False)
    reader.done()

    official: dict[str, bool] = {}
    official_reader = _Reader(official_raw, "official_translation", fail)
    for language in LANGUAGES:
        official[language] = official_reader.get(language, bool)
    official_reader.done()

    response_sets = {
        _check_id(key, "response set", fail): _options(value, f"response_sets.{key}", fail)
        for key, value in sets_raw.items()
    }
    if not items_raw:
        fail("items must list at least one item")
    items = tuple(_item(raw, index, response_sets, fail) for index, raw in enumerate(items_raw))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            fail(f"duplicate item id {item.id!r}")
        seen.add(item.id)
    scoring = _scoring(scoring_raw, items, fail)
    reliable = None if reliable_raw is None else _reliable_change(reliable_raw, scoring, fail)
    return Instrument(
        id=instrument_id,
        version=version.strip(),
        name=name,
        intro=intro,
        items=items,
        scoring=scoring,
        provenance=provenance.strip(),
        licence=licence.strip(),
        validated=validated,
        official=official,
        source=source,
        order=order,
        reliable_change=reliable,
        schedule=Cadence() if schedule_raw is None else _schedule(schedule_raw, fail),
    )


def load_file(path: Path) -> Instrument:
    """Read and validate one instrument file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentFileError(f"{path.name}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentFileError(f"{path.name}: cannot read the file: {exc}") from None
    instrument = parse_instrument(data, path.name)
    if instrument.id != path.stem:
        raise InstrumentFileError(
            f"{path.name}: id {instrument.id!r} must match the file name {path.stem!r}"
        )
    return instrument


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Read every *.toml in a folder, in name order."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise InstrumentFileError(f"{directory}: no instrument files (*.toml) found")
    return {instrument.id: instrument for instrument in map(load_file, files)}


@cache
def _registry() -> dict[str, Instrument]:
    return load_directory(INSTRUMENTS_DIR)


def load_instruments() -> None:
    """Load and check every shipped instrument; call at start-up so errors stop it."""
    _registry()


def all_instruments() -> list[Instrument]:
    """Return every instrument in the order a check asks them."""
    return sorted(_registry().values(), key=lambda instrument: (instrument.order, instrument.id))


def get_instrument(instrument_id: str) -> Instrument:
    """Return an instrument by id; raise KeyError if there is none."""
    try:
        return _registry()[instrument_id]
    except KeyError:
        raise KeyError(f"no instrument {instrument_id!r}") from None
