"""The lines of the funder's report: code, name and definition, in the reader's language.

The SQL condition of each line lives in coach/reports/funder.py under the same key;
the identities below say which lines add up to which, for complementary suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.i18n import gettext as _

SECTIONS = ("entry", "education", "leaving", "six_months")

LINE_KEYS = (
    "participants", "co01", "co02", "unemployed_short", "duration_missing", "co03", "co04",
    "inactive_education", "co05", "entry_unknown",
    "co09", "co10", "co11",
    "leavers", "cr04", "cr02", "exit_other", "exit_unknown",
    "followed", "cr06", "later_education", "later_other", "later_unknown",
    "cr07_base", "cr07", "cr07_not", "cr07_unknown",
)

# total line = sum of part lines, in every column and every view.
IDENTITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("participants", ("co01", "co03", "co05", "entry_unknown")),
    ("co01", ("co02", "unemployed_short", "duration_missing")),
    ("co03", ("co04", "inactive_education")),
    ("participants", ("co09", "co10", "co11")),
    ("leavers", ("cr04", "cr02", "exit_other", "exit_unknown")),
    ("followed", ("cr06", "later_education", "later_other", "later_unknown")),
    ("cr07_base", ("cr07", "cr07_not", "cr07_unknown")),
)


@dataclass(frozen=True)
class Line:
    key: str
    section: str
    code: str  # the ESF 2014–2020 indicator code; "" for a line that completes a sum
    name: str
    definition: str


def section_titles() -> dict[str, str]:
    """Return the title of each section."""
    return {
        "entry": _("Labour-market status at entry"),
        "education": _("Education at entry"),
        "leaving": _("Upon leaving (within four weeks after the exit date)"),
        "six_months": _("Six months after leaving"),
    }


def lines() -> list[Line]:
    """Return every line of the report in order, named in the current language."""
    entry, edu, leaving, later = SECTIONS
    unknown_note = _("Counted as unknown, not as a failure.")
    return [
        Line("participants", entry, "", _("Participants"),
             _("Everyone counted: consent given and not withdrawn, and records kept "
               "anonymously after an erasure.")),
        Line("co01", entry, "CO01", _("Unemployed, including long-term unemployed"),
             _("Status at entry unemployed or work trial (a work trial keeps the person a "
               "jobseeker).")),
        Line("co02", entry, "CO02", _("Long-term unemployed"),
             _("Unemployed at entry, for 12 months or more (12–24 months or over 24 "
               "months).")),
        Line("unemployed_short", entry, "", _("Unemployed for less than 12 months"),
             _("Unemployed at entry, for under 6 months or 6–12 months.")),
        Line("duration_missing", entry, "", _("Unemployed, duration not recorded"),
             _("Unemployed at entry with no unemployment duration recorded; not counted in "
               "CO02.")),
        Line("co03", entry, "CO03", _("Inactive"),
             _("Status at entry education or training, rehabilitation or rehabilitative "
               "work activity, or outside the labour force. An unknown status is not "
               "counted here.")),
        Line("co04", entry, "CO04", _("Inactive, not in education or training"),
             _("Status at entry rehabilitation or rehabilitative work activity, or outside "
               "the labour force.")),
        Line("inactive_education", entry, "", _("Inactive, in education or training"),
             _("Status at entry education or training.")),
        Line("co05", entry, "CO05", _("Employed, including self-employed"),
             _("Status at entry employed full time or part time, subsidised employment, "
               "apprenticeship or self-employed.")),
        Line("entry_unknown", entry, "", _("Status at entry unknown"),
             _("Status at entry recorded as unknown: counted neither as inactive nor as "
               "unemployed.")),
        Line("co09", edu, "CO09", _("Primary or lower secondary education (ISCED 0–2)"),
             _("No completed education, or basic education.")),
        Line("co10", edu, "CO10",
             _("Upper secondary or post-secondary non-tertiary education (ISCED 3–4)"),
             _("Upper secondary or vocational education.")),
        Line("co11", edu, "CO11", _("Tertiary education (ISCED 5–8)"),
             _("University or university of applied sciences.")),
        Line("leavers", leaving, "", _("Leavers"),
             _("Participants whose exit date is today or earlier. The status upon leaving "
               "is the latest status entry effective on or before the exit date plus 28 "
               "days.")),
        Line("cr04", leaving, "CR04", _("In employment, including self-employed, upon leaving"),
             _("Status upon leaving employed full time or part time, subsidised employment, "
               "apprenticeship or self-employed.")),
        Line("cr02", leaving, "CR02", _("In education or training upon leaving"),
             _("Status upon leaving education or training.")),
        Line("exit_other", leaving, "", _("Unemployed or inactive upon leaving"),
             _("Status upon leaving unemployed, work trial, rehabilitation or outside the "
               "labour force.")),
        Line("exit_unknown", leaving, "", _("Status upon leaving unknown"),
             _("No status entry up to the exit date plus 28 days, or the status unknown.")
             + " " + unknown_note),
        Line("followed", later, "", _("Leavers due for the six-month follow-up"),
             _("Leavers whose follow-up day, the exit date plus 182 days (26 weeks), is "
               "today or earlier.")),
        Line("cr06", later, "CR06",
             _("In employment, including self-employed, six months after leaving"),
             _("Known status on the follow-up day is employment. A status is known only if "
               "the latest entry up to the follow-up day took effect after the exit date "
               "and is not unknown.")),
        Line("later_education", later, "",
             _("In education or training six months after leaving"),
             _("Known status on the follow-up day is education or training.")),
        Line("later_other", later, "",
             _("Neither employed nor in education six months after leaving"),
             _("Known status on the follow-up day is neither employment nor education or "
               "training.")),
        Line("later_unknown", later, "", _("Status six months after leaving unknown"),
             _("No status entry effective after the exit date up to the follow-up day, or "
               "the status unknown.") + " " + unknown_note),
        Line("cr07_base", later, "", _("Employed at entry, due for the follow-up"),
             _("CR07 applies only to participants who were employed at entry.")),
        Line("cr07", later, "CR07",
             _("Improved labour-market situation six months after leaving"),
             _("Employed at entry part time, in subsidised employment or an apprenticeship, "
               "and known status on the follow-up day employed full time or "
               "self-employed.")),
        Line("cr07_not", later, "", _("Employed at entry, no improvement"),
             _("Employed at entry with a known status on the follow-up day that is not an "
               "improvement as defined for CR07.")),
        Line("cr07_unknown", later, "", _("Employed at entry, status six months after unknown"),
             unknown_note),
    ]
