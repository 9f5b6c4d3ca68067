"""The files of the data package: every column with its type, unit, allowed values and meaning.

One definition serves three purposes: the writer checks every row against it,
datapackage.json describes it as a Frictionless table schema, and the codebook
prints it for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.assessments.instruments import all_instruments
from coach.choices import AssessmentMode, Education, FunderCategory, Gender, LabourStatus, Theme
from coach.export.kanon import AGE_BANDS_10, AGE_BANDS_20, EDUCATION_2, SUPPRESSED, UNEMPLOYED_12
from coach.export.pseudonyms import ID_PATTERN

NOT_COLLECTED = "NA"
MISSING_VALUES = (NOT_COLLECTED, SUPPRESSED)
TRUE, FALSE = "1", "0"
UNEMPLOYMENT_BANDS = ("under_6", "6_12", "12_24", "over_24")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "string", "integer", "number" or "boolean"
    description: str
    unit: str = ""
    enum: tuple[str, ...] = ()
    required: bool = True
    pattern: str = ""
    suppressible: bool = False  # a quasi-identifier: may hold "suppressed"

    def descriptor(self, decimal_comma: bool) -> dict:
        """Return the Frictionless field descriptor."""
        result: dict = {"name": self.name, "type": self.type, "description": self.description}
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if constraints:
            result["constraints"] = constraints
        if self.type == "boolean":
            result["trueValues"], result["falseValues"] = [TRUE], [FALSE]
        if self.type == "number" and decimal_comma:
            result["decimalChar"] = ","
        if self.unit:
            result["unit"] = self.unit
        return result


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def field(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)


def _id(name: str, what: str, required: bool = True) -> Field:
    return Field(name, "string", f"Pseudonymous id of the {what}, new in every export.",
                 pattern=ID_PATTERN, required=required)


def _month(name: str, what: str, required: bool = True) -> Field:
    return Field(name, "integer", f"{what}, in whole months since the group's start date "
                 "(month 0 is the first month; negative before the start).", unit="month",
                 required=required)


def _qi(name: str, enum: tuple[str, ...], meaning: str) -> Field:
    return Field(name, "string", meaning + " Quasi-identifier: may be 'suppressed'.",
                 enum=enum, required=False, suppressible=True)


def _values(kind) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


def _instrument_values() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    instruments = all_instruments()
    ids = tuple(sorted(i.id for i in instruments))
    items = tuple(sorted({item.id for i in instruments for item in i.items}))
    bands = tuple(sorted({band.id for i in instruments for band in i.scoring.bands}))
    return ids, items, bands


def tables() -> tuple[TableSchema, ...]:
    """Return the schema of every CSV file, referenced tables first."""
    instrument_ids, item_ids, band_ids = _instrument_values()
    themes = tuple(
        Field(f"theme_{theme.value}", "boolean",
              f"1 if the meeting dealt with the theme '{theme.value}', else 0.")
        for theme in Theme
    )
    return (
        TableSchema("groups", "One row per coaching group with at least one exported "
                    "participant.", (
            _id("group_id", "group"),
            Field("planned_months", "integer", "Planned length of the group, from its start to "
                  "its end date, in whole months.", unit="month"),
            Field("assessment_interval_weeks", "integer", "Self-assessments are due every this "
                  "many weeks.", unit="week"),
            Field("usual_session_minutes", "integer", "Usual length of a meeting.",
                  unit="minute"),
        ), ("group_id",)),
        TableSchema("participants", "One row per participant counted in reports (consent "
                    "given and not withdrawn, or an anonymous record kept after erasure).", (
            _id("participant_id", "participant"),
            _id("group_id", "participant's group"),
            _qi("gender", _values(Gender), "Gender as the participant told it."),
            _qi("age_band_10", AGE_BANDS_10, "Age at enrolment (calendar year of enrolment "
                "minus birth year) in 10-year bands."),
            _qi("age_band_20", AGE_BANDS_20, "Age at enrolment in 20-year bands."),
            _qi("education", _values(Education), "Highest education in the funder's four "
                "levels: none (ISCED 0), basic (1-2), upper secondary (3-4), tertiary (5-8)."),
            _qi("education_2", EDUCATION_2, "Education in two levels: basic or less, upper "
                "secondary or higher."),
            _qi("status_at_entry", _values(LabourStatus), "Labour-market status at entry."),
            _qi("status_at_entry_category", _values(FunderCategory), "The funder's category "
                "of the status at entry."),
            _qi("unemployed_for", UNEMPLOYMENT_BANDS, "How long unemployed at entry, in "
                "months: under 6, 6-12, 12-24, over 24. NA when not unemployed at entry or "
                "not recorded."),
            _qi("unemployed_12", UNEMPLOYED_12, "Unemployed at entry for under 12 months or "
                "12 months or more. NA when not unemployed at entry or not recorded."),
            _month("enrolled_month", "Enrolment"),
            _month("exited_month", "Exit from the group; NA while still in the group",
                   required=False),
        ), ("participant_id",), (ForeignKey(("group_id",), "groups", ("group_id",)),)),
        TableSchema("sessions", "One row per group meeting. The coach's private note is never "
                    "exported.", (
            _id("session_id", "meeting"),
            _id("group_id", "group"),
            _month("month", "When the meeting was held"),
            Field("duration_minutes", "integer", "Length of the meeting.", unit="minute"),
            *themes,
        ), ("session_id",), (ForeignKey(("group_id",), "groups", ("group_id",)),)),
        TableSchema("attendance", "One row per meeting and participant recorded as present or "
                    "absent.", (
            _id("session_id", "meeting"),
            _id("participant_id", "participant"),
            Field("present", "boolean", "1 if the participant came, 0 if not."),
        ), ("session_id", "participant_id"), (
            ForeignKey(("session_id",), "sessions", ("session_id",)),
            ForeignKey(("participant_id",), "participants", ("participant_id",)),
        )),
        TableSchema("assessments", "One row per completed self-assessment: participant, "
                    "instrument, month and score.", (
            _id("assessment_id", "assessment"),
            _id("participant_id", "participant"),
            Field("instrument", "string", "Instrument: who5 (WHO-5 Well-Being Index), was "
                  "(Work Ability Score), lifestyle (a lifestyle check, not validated).",
                  enum=instrument_ids),
            Field("instrument_version", "string", "Version of the instrument file."),
            _month("month", "When the assessment was completed"),
            Field("raw_score", "integer", "Sum of the scored item answers.", unit="point"),
            Field("score", "number", "Score on the instrument's scale (WHO-5: raw x 4, "
                  "0-100; Work Ability Score: 0-10).", unit="point"),
            Field("band", "string", "Interpretation band of the score, as defined in the "
                  "instrument file.", enum=band_ids),
            Field("mode", "string", "invite: on the participant's own device; together: on "
                  "the coach's phone handed over.", enum=_values(AssessmentMode)),
        ), ("assessment_id",), (
            ForeignKey(("participant_id",), "participants", ("participant_id",)),
        )),
        TableSchema("answers", "One row per item answer of an assessment.", (
            _id("assessment_id", "assessment"),
            Field("item", "string", "Item id within the instrument file.", enum=item_ids),
            Field("value", "integer", "The answer's value on the item's scale.",
                  unit="point"),
        ), ("assessment_id", "item"), (
            ForeignKey(("assessment_id",), "assessments", ("assessment_id",)),
        )),
        TableSchema("status_history", "One row per entry of a participant's labour-market "
                    "history.", (
            _id("entry_id", "history entry"),
            _id("participant_id", "participant"),
            _month("month", "From when the status held"),
            Field("status", "string", "Labour-market status. On the entry at enrolment it is "
                  "generalised like status_at_entry and may be 'suppressed'.",
                  enum=_values(LabourStatus), required=False, suppressible=True),
            Field("status_category", "string", "The funder's category of the status; on the "
                  "entry at enrolment generalised like status_at_entry_category.",
                  enum=_values(FunderCategory), required=False, suppressible=True),
            Field("at_entry", "boolean", "1 on the participant's first entry (the status at "
                  "enrolment), else 0."),
        ), ("entry_id",), (
            ForeignKey(("participant_id",), "participants", ("participant_id",)),
        )),
    )
