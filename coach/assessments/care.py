"""Care after a low score: when a check asks for it, where to get help, the coach's next step.

An instrument asks for care through `care_at_or_below` in its file: the latest score is
at or below it, or has fallen by the instrument's meaningful change since the previous
check. The participant's progress page then says so kindly and shows the help contacts
of help_contacts.toml; their coaches see "Talk with …" until one of them marks it done.
Nothing of this is exported or shown to evaluators.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from coach.assessments.instruments import (
    EPSILON,
    LANGUAGES,
    Instrument,
    Text,
    all_instruments,
)
from coach.assessments.services import Progress
from coach.assessments.tables import Assessment, CareFollowUp
from coach.audit.log import now
from coach.participants.tables import Participant

HELP_CONTACTS_FILE = Path(__file__).resolve().parent / "help_contacts.toml"
LOW = "low"  # at or below the instrument's care threshold
FELL = "fell"  # down by the meaningful change since the previous check
WORSE = -1


def care_reason(instrument: Instrument, scores: Sequence[float]) -> str | None:
    """Return LOW or FELL if the latest of the scores (oldest first) asks for care, else None."""
    threshold = instrument.scoring.care_at_or_below
    if threshold is None or not scores:
        return None
    latest = scores[-1]
    if latest <= threshold + EPSILON:
        return LOW
    if len(scores) > 1 and instrument.change_is_meaningful(scores[-2], latest) == WORSE:
        return FELL
    return None


def care_instruments() -> list[Instrument]:
    """Return the instruments whose files ask for care after a low score."""
    return [i for i in all_instruments() if i.scoring.care_at_or_below is not None]


# --- help contacts ----------------------------------------------------------------------


class HelpContactsError(Exception):
    """help_contacts.toml is malformed; the message names the problem."""


@dataclass(frozen=True)
class Contact:
    phone: str
    name: Text
    open: Text
    language: str = ""  # the language a helpline answers in; "" for the emergency number

    @property
    def tel(self) -> str:
        """Return the number as a tel: link target, without spaces or dashes."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


@dataclass(frozen=True)
class HelpContacts:
    checked_on: dt.date
    source: str
    emergency: Contact
    helplines: tuple[Contact, ...]

    def helplines_for(self, language: str) -> list[Contact]:
        """Return every helpline, the one answering in the page's language first."""
        return sorted(self.helplines, key=lambda line: line.language != language)


def _fail(problem: str):
    raise HelpContactsError(f"{HELP_CONTACTS_FILE.name}: {problem}")


def _text(table: dict[str, Any], key: str, where: str) -> Text:
    value = table.get(key)
    if not isinstance(value, dict):
        _fail(f"{where}.{key} must be a table of texts by language")
    for language in LANGUAGES:
        if not isinstance(value.get(language), str) or not value[language].strip():
            _fail(f"{where}.{key} is missing the {language!r} text")
    return Text(**{language: value[language].strip() for language in LANGUAGES})


def _contact(table: Any, where: str, with_language: bool) -> Contact:
    if not isinstance(table, dict):
        _fail(f"{where} must be a table")
    phone = table.get("phone")
    if not isinstance(phone, str) or not any(c.isdigit() for c in phone):
        _fail(f"{where}.phone must be a phone number")
    language = table.get("language", "")
    if with_language and language not in LANGUAGES:
        _fail(f"{where}.language must be one of {', '.join(LANGUAGES)}")
    known = {"phone", "name", "open"} | ({"language"} if with_language else set())
    unknown = sorted(set(table) - known)
    if unknown:
        _fail(f"unknown field {where}.{unknown[0]}")
    return Contact(phone.strip(), _text(table, "name", where), _text(table, "open", where),
                   language)


def parse_help_contacts(data: dict[str, Any]) -> HelpContacts:
    """Build the help contacts from a parsed file, raising HelpContactsError on any problem."""
    unknown = sorted(set(data) - {"checked_on", "source", "emergency", "helplines"})
    if unknown:
        _fail(f"unknown field {unknown[0]}")
    checked_on = data.get("checked_on")
    if not isinstance(checked_on, dt.date) or isinstance(checked_on, dt.datetime):
        _fail("checked_on must be the date the contacts were checked (YYYY-MM-DD)")
    source = data.get("source", "")
    if not isinstance(source, str):
        _fail("source must be text")
    lines = data.get("helplines")
    if not isinstance(lines, list) or not lines:
        _fail("helplines must list at least one helpline")
    helplines = tuple(
        _contact(line, f"helplines[{index}]", with_language=True)
        for index, line in enumerate(lines)
    )
    for language in LANGUAGES:
        if not any(line.language == language for line in helplines):
            _fail(f"no helpline answers in {language!r}")
    emergency = _contact(data.get("emergency"), "emergency", with_language=False)
    return HelpContacts(checked_on, source.strip(), emergency, helplines)


@cache
def help_contacts() -> HelpContacts:
    """Return the help contacts, read from the file once."""
    try:
        data = tomllib.loads(HELP_CONTACTS_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        _fail(f"cannot read the file: {exc}")
    return parse_help_contacts(data)


def load_help_contacts() -> None:
    """Read and check the help contacts; call at start-up so a bad file stops it."""
    help_contacts()


# --- the coach's next step ------------------------------------------------------------


@dataclass(frozen=True)
class CareStep:
    participant_id: int
    display_name: str
    group_id: int
    assessment_id: int  # the check that asked for care; marking done refers to it
    reason: str  # LOW or FELL


async def _open_steps(condition) -> list[CareStep]:
    """Return the care steps of the participants matching condition, not yet marked done.

    Two statements whatever the number of participants: their care checks, then the
    follow-ups of the latest ones. Withdrawn and erased participants are left out.
    """
    instruments = {instrument.id: instrument for instrument in care_instruments()}
    if not instruments:
        return []
    rows = await (
        Assessment.select(
            Assessment.id, Assessment.participant, Assessment.instrument, Assessment.score,
            Assessment.participant.display_name.as_alias("display_name"),
            Assessment.participant.group.as_alias("group_id"),
        )
        .where(condition)
        .where(Assessment.instrument.is_in(list(instruments)))
        .where(Assessment.participant.erased_at.is_null())
        .where(Assessment.participant.consent_withdrawn_on.is_null())
        .order_by(Assessment.taken_on).order_by(Assessment.completed_at).order_by(Assessment.id)
    )
    series: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in rows:  # oldest first
        series.setdefault((row["participant"], row["instrument"]), []).append(row)
    steps = []
    for (_participant, instrument_id), checks in series.items():
        reason = care_reason(instruments[instrument_id], [row["score"] for row in checks])
        if reason is not None:
            latest = checks[-1]
            steps.append(CareStep(latest["participant"], latest["display_name"],
                                  latest["group_id"], latest["id"], reason))
    if not steps:
        return []
    done = set(
        await CareFollowUp.select(CareFollowUp.assessment)
        .where(CareFollowUp.assessment.is_in([step.assessment_id for step in steps]))
        .output(as_list=True)
    )
    return [step for step in steps if step.assessment_id not in done]


async def care_steps(group_ids: list[int]) -> dict[int, list[CareStep]]:
    """Return {group: open care steps, by name} for the groups' participants."""
    result: dict[int, list[CareStep]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return result
    # A sub-select of the groups' participants, not a filter on the joined participant:
    # without table statistics SQLite would otherwise read every wellbeing check of every
    # group through the instrument index (220 ms instead of 12 ms with 5,000 groups).
    people = Participant.select(Participant.id).where(Participant.group.is_in(group_ids))
    for step in await _open_steps(Assessment.participant.is_in(people)):
        result[step.group_id].append(step)
    for steps in result.values():
        steps.sort(key=lambda step: (step.display_name.casefold(), step.participant_id))
    return result


async def mark_done(participant_id: int, assessment_id: int, user_id: int | None) -> str | None:
    """Record that a coach followed up a check; return its reason, or None if none is open.

    Only the participant's open step can be marked, so a stale or forged id changes nothing.
    """
    steps = await _open_steps(Assessment.participant == participant_id)
    step = next((step for step in steps if step.assessment_id == assessment_id), None)
    if step is None:
        return None
    # Two coaches pressing at the same moment leave one row and no error.
    await CareFollowUp.insert(
        CareFollowUp(participant=participant_id, assessment=assessment_id, done_by=user_id,
                     done_at=now())
    ).on_conflict(action="DO NOTHING")
    return step.reason


# --- the participant's page -------------------------------------------------------------


def progress_care(series: Sequence[Progress]) -> list[str]:
    """Return the reason (LOW or FELL) of each of a participant's series that asks for care."""
    reasons = (care_reason(progress.instrument, [point.score for point in progress.points])
               for progress in series)
    return [reason for reason in reasons if reason is not None]
