"""k-anonymity of the participants' quasi-identifiers: generalise, then suppress locally.

The quasi-identifiers are gender, age band, education, labour-market status at
entry and unemployment duration at entry. Each is exported at every level of its
hierarchy as a column of its own (education with 4 levels and with 2, ...), and
generalising one step means writing "suppressed" into its finest column still
shown. The steps of LADDER are taken in order, each adding to the ones before
(roughly in order of increasing information loss). After each step the
participants whose combination of shown values is shared by fewer than k people
are counted. The first step where none is left, or where they are at least k
and at most a tenth of everyone (or k, if that is more), is kept, and those rare
participants get every quasi-identifier suppressed ("local suppression"): they
form one class of at least k people. The last step suppresses everything, so the
rule always ends; with fewer than k participants in all, everything is suppressed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from coach.choices import FUNDER_CATEGORY, Education, LabourStatus

SUPPRESSED = "suppressed"
LOCAL_SUPPRESSION_SHARE = 0.10

# Columns, finest first within each quasi-identifier.
QI_COLUMNS = (
    "gender",
    "age_band_10", "age_band_20",
    "education", "education_2",
    "status_at_entry", "status_at_entry_category",
    "unemployed_for", "unemployed_12",
)

# (step name, column suppressed from this step on)
LADDER: tuple[tuple[str, str | None], ...] = (
    ("none", None),
    ("age in 20-year bands", "age_band_10"),
    ("unemployment duration under/over 12 months", "unemployed_for"),
    ("status at entry as the funder's category", "status_at_entry"),
    ("education in 2 levels", "education"),
    ("age suppressed", "age_band_20"),
    ("unemployment duration suppressed", "unemployed_12"),
    ("education suppressed", "education_2"),
    ("status at entry suppressed", "status_at_entry_category"),
    ("gender suppressed", "gender"),
)

AGE_BANDS_10 = ("under_20", "20-29", "30-39", "40-49", "50-59", "60-69", "70_or_over")
AGE_BANDS_20 = ("under_20", "20-39", "40-59", "60_or_over")
EDUCATION_2 = ("basic_or_less", "upper_secondary_or_higher")
UNEMPLOYED_12 = ("under_12", "12_or_more")


def age_band_10(age: int) -> str:
    """Return the 10-year band of an age."""
    if age < 20:
        return AGE_BANDS_10[0]
    if age >= 70:
        return AGE_BANDS_10[-1]
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def age_band_20(age: int) -> str:
    """Return the 20-year band of an age; each 10-year band lies inside one."""
    if age < 20:
        return AGE_BANDS_20[0]
    if age >= 60:
        return AGE_BANDS_20[-1]
    low = 20 + (age - 20) // 20 * 20
    return f"{low}-{low + 19}"


def education_2(education: str) -> str:
    """Return the two-level education of a four-level one."""
    return EDUCATION_2[0] if education in (Education.none, Education.basic) else EDUCATION_2[1]


def unemployed_12(duration: str | None) -> str | None:
    """Return under/over 12 months for an unemployment duration band (None stays None)."""
    if duration is None:
        return None
    return UNEMPLOYED_12[0] if duration in ("under_6", "6_12") else UNEMPLOYED_12[1]


def quasi_identifiers(gender: str, age: int, education: str, status: str,
                      unemployed_for: str | None) -> dict[str, str | None]:
    """Return every quasi-identifier column at full detail (None: not collected)."""
    return {
        "gender": gender,
        "age_band_10": age_band_10(age),
        "age_band_20": age_band_20(age),
        "education": education,
        "education_2": education_2(education),
        "status_at_entry": status,
        "status_at_entry_category": FUNDER_CATEGORY[LabourStatus(status)].value,
        "unemployed_for": unemployed_for,
        "unemployed_12": unemployed_12(unemployed_for),
    }


@dataclass(frozen=True)
class Outcome:
    rows: list[dict[str, str | None]]  # in the order given
    step: int  # index in LADDER
    locally_suppressed: int  # participants with every quasi-identifier suppressed

    @property
    def step_name(self) -> str:
        return LADDER[self.step][0]


def generalise(row: dict[str, str | None], step: int) -> dict[str, str | None]:
    """Return a row with the columns of the first `step` steps suppressed."""
    hidden = {column for _name, column in LADDER[1:step + 1]}
    return {column: SUPPRESSED if column in hidden else row[column] for column in QI_COLUMNS}


def classes(rows: Sequence[dict[str, str | None]]) -> Counter:
    """Return how many rows share each combination of quasi-identifier values."""
    return Counter(tuple(row[column] for column in QI_COLUMNS) for row in rows)


def anonymise(rows: Sequence[dict[str, str | None]], k: int) -> Outcome:
    """Return the rows generalised and locally suppressed until every class has k or more."""
    total = len(rows)
    allowed = max(k, int(total * LOCAL_SUPPRESSION_SHARE))
    last = len(LADDER) - 1
    for step in range(len(LADDER)):
        shown = [generalise(row, step) for row in rows]
        sizes = classes(shown)
        rare = [index for index, row in enumerate(shown)
                if sizes[tuple(row[c] for c in QI_COLUMNS)] < k]
        if not rare or (k <= len(rare) <= allowed) or step == last:
            if step == last:
                return Outcome(shown, step, 0)
            everything_hidden = dict.fromkeys(QI_COLUMNS, SUPPRESSED)
            for index in rare:
                shown[index] = dict(everything_hidden)
            return Outcome(shown, step, len(rare))
    raise AssertionError("unreachable: the last step suppresses everything")
