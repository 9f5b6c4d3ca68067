"""Translated labels for the coded values of coach.choices, for forms, pages and reports.

The labels are built at call time so that each request gets its own language.
"""

from __future__ import annotations

from enum import Enum

from coach.choices import (
    Education,
    FunderCategory,
    Gender,
    LabourStatus,
    Role,
    Theme,
    UnemploymentDuration,
)
from coach.i18n import gettext as _


def _labels(kind: type[Enum]) -> dict[Enum, str]:
    if kind is Theme:
        return {
            Theme.physical_activity: _("Physical activity"),
            Theme.nutrition: _("Nutrition"),
            Theme.sleep: _("Sleep"),
            Theme.mental_wellbeing: _("Mental wellbeing"),
            Theme.substances: _("Substances"),
            Theme.finances: _("Finances"),
            Theme.job_seeking: _("Job seeking"),
            Theme.everyday_skills: _("Everyday skills"),
            Theme.other: _("Other"),
        }
    if kind is Gender:
        return {
            Gender.female: _("Woman"),
            Gender.male: _("Man"),
            Gender.other: _("Other gender"),
            Gender.not_told: _("Does not want to say"),
        }
    if kind is Education:
        return {
            Education.none: _("No completed education"),
            Education.basic: _("Basic education"),
            Education.upper_secondary: _("Upper secondary or vocational"),
            Education.tertiary: _("University or university of applied sciences"),
        }
    if kind is UnemploymentDuration:
        return {
            UnemploymentDuration.under_6_months: _("Under 6 months"),
            UnemploymentDuration.from_6_to_12_months: _("6–12 months"),
            UnemploymentDuration.from_12_to_24_months: _("12–24 months"),
            UnemploymentDuration.over_24_months: _("Over 24 months"),
        }
    if kind is LabourStatus:
        return {
            LabourStatus.unemployed: _("Unemployed"),
            LabourStatus.employed_full_time: _("Employed full time"),
            LabourStatus.employed_part_time: _("Employed part time"),
            LabourStatus.subsidised_employment: _("Subsidised employment"),
            LabourStatus.self_employed: _("Self-employed"),
            LabourStatus.apprenticeship: _("Apprenticeship"),
            LabourStatus.education: _("Education or training"),
            LabourStatus.work_trial: _("Work trial"),
            LabourStatus.rehabilitation: _("Rehabilitation or rehabilitative work activity"),
            LabourStatus.outside_labour_force: _("Outside the labour force"),
            LabourStatus.unknown: _("Unknown"),
        }
    if kind is FunderCategory:
        return {
            FunderCategory.employed: _("Employed (incl. self-employed)"),
            FunderCategory.unemployed: _("Unemployed"),
            FunderCategory.inactive: _("Inactive"),
            FunderCategory.inactive_in_education: _("Inactive, in education or training"),
        }
    if kind is Role:
        return {
            Role.admin: _("Administrator"),
            Role.coach: _("Coach"),
            Role.evaluator: _("Evaluator"),
        }
    raise KeyError(f"no labels for {kind.__name__}")


def label(value: Enum | str | None, kind: type[Enum] | None = None) -> str:
    """Return the label of a coded value; a plain string needs its enum as `kind`."""
    if value is None or value == "":
        return ""
    if isinstance(value, Enum):
        kind = type(value)
    if kind is None:
        raise TypeError("label() needs the enum of a plain string value")
    member = kind(value)
    return _labels(kind)[member]


def options(kind: type[Enum]) -> list[tuple[str, str]]:
    """Return (value, label) pairs of an enum, in the order it defines them."""
    labels = _labels(kind)
    return [(member.value, labels[member]) for member in kind]
