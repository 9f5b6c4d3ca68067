"""Coded values of the domain, shared by tables, forms, demo data and exports."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    coach = "coach"
    evaluator = "evaluator"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    not_told = "not_told"


class Education(StrEnum):
    # The funder's four levels (ISCED 0, 1-2, 3-4, 5-8).
    none = "none"
    basic = "basic"
    upper_secondary = "upper_secondary"
    tertiary = "tertiary"


class UnemploymentDuration(StrEnum):
    under_6_months = "under_6"
    from_6_to_12_months = "6_12"
    from_12_to_24_months = "12_24"
    over_24_months = "over_24"


class LabourStatus(StrEnum):
    unemployed = "unemployed"
    employed_full_time = "employed_full_time"
    employed_part_time = "employed_part_time"
    subsidised_employment = "subsidised_employment"
    self_employed = "self_employed"
    apprenticeship = "apprenticeship"
    education = "education"
    work_trial = "work_trial"
    rehabilitation = "rehabilitation"
    outside_labour_force = "outside_labour_force"
    unknown = "unknown"


class FunderCategory(StrEnum):
    """The European Social Fund's labour-market categories."""

    employed = "employed"  # including self-employed
    unemployed = "unemployed"
    inactive = "inactive"
    inactive_in_education = "inactive_in_education"


FUNDER_CATEGORY = {
    LabourStatus.unemployed: FunderCategory.unemployed,
    LabourStatus.employed_full_time: FunderCategory.employed,
    LabourStatus.employed_part_time: FunderCategory.employed,
    LabourStatus.subsidised_employment: FunderCategory.employed,
    LabourStatus.self_employed: FunderCategory.employed,
    LabourStatus.apprenticeship: FunderCategory.employed,
    LabourStatus.education: FunderCategory.inactive_in_education,
    # Work trials and rehabilitative work activity keep the person a jobseeker.
    LabourStatus.work_trial: FunderCategory.unemployed,
    LabourStatus.rehabilitation: FunderCategory.inactive,
    LabourStatus.outside_labour_force: FunderCategory.inactive,
    LabourStatus.unknown: FunderCategory.inactive,
}

EMPLOYED_STATUSES = frozenset(s for s, c in FUNDER_CATEGORY.items() if c is FunderCategory.employed)


class Theme(StrEnum):
    physical_activity = "physical_activity"
    nutrition = "nutrition"
    sleep = "sleep"
    mental_wellbeing = "mental_wellbeing"
    substances = "substances"
    finances = "finances"
    job_seeking = "job_seeking"
    everyday_skills = "everyday_skills"
    other = "other"


class AssessmentMode(StrEnum):
    invite = "invite"  # on the participant's own device
    together = "together"  # on the coach's phone, handed over
