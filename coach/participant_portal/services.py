"""The participant's own data: everything stored about them, and withdrawing consent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from coach.assessments.instruments import get_instrument
from coach.assessments.services import assessments_of
from coach.groups.tables import CoachingGroup
from coach.meetings.tables import Attendance
from coach.participant_portal.access_log import access_log
from coach.participants.tables import Participant, StatusChange

PERSON_FIELDS = (
    "display_name",
    "birth_year",
    "gender",
    "education",
    "status_at_entry",
    "unemployed_for",
    "enrolled_on",
    "exited_on",
    "exit_reason",
    "consent_given_on",
    "consent_version",
    "consent_withdrawn_on",
)
ASSESSMENT_FIELDS = (
    "instrument",
    "instrument_version",
    "taken_on",
    "raw_score",
    "score",
    "band",
    "mode",
)


async def withdraw_consent(participant_id: int, today: dt.date) -> bool:
    """Record that consent is withdrawn; return False if it already was."""
    async with Participant._meta.db.transaction():
        participant = await Participant.objects().get(Participant.id == participant_id)
        if participant is None or participant.consent_withdrawn_on is not None:
            return False
        await Participant.update({Participant.consent_withdrawn_on: today}).where(
            Participant.id == participant_id
        )
    return True


async def my_data(participant_id: int, log_limit: int | None = None) -> dict[str, Any]:
    """Return everything stored about a participant, as plain values.

    log_limit keeps only the newest audit events (for the page); downloads hold them all.
    """
    person = (
        await Participant.select(
            *(getattr(Participant, name) for name in PERSON_FIELDS), Participant.group
        )
        .where(Participant.id == participant_id)
        .first()
    )
    if person is None:
        raise LookupError(participant_id)
    group = (
        await CoachingGroup.select(
            CoachingGroup.name, CoachingGroup.starts_on, CoachingGroup.ends_on
        )
        .where(CoachingGroup.id == person.pop("group"))
        .first()
    )
    history = (
        await StatusChange.select(StatusChange.status, StatusChange.effective_on)
        .where(StatusChange.participant == participant_id)
        .order_by(StatusChange.effective_on)
    )
    attendance = (
        await Attendance.select(Attendance.meeting.held_on.as_alias("held_on"), Attendance.present)
        .where(Attendance.participant == participant_id)
        .order_by(Attendance.meeting.held_on)
    )
    assessments = [
        {**{name: row[name] for name in ASSESSMENT_FIELDS}, "answers": row["answers"]}
        for row in await assessments_of(participant_id)
    ]
    return {
        "person": person,
        "group": group,
        "labour_market_status": history,
        "attendance": attendance,
        "assessments": assessments,
        "access_log": await access_log(participant_id, limit=log_limit),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def as_json(data: dict[str, Any]) -> str:
    """Return the data as readable JSON."""
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def as_csv(data: dict[str, Any]) -> str:
    """Return the data as one long CSV table: section, record number, field, value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "record", "field", "value"])
    for section in ("person", "group"):
        for field, value in (data[section] or {}).items():
            writer.writerow([section, 1, field, _cell(value)])
    for section in ("labour_market_status", "attendance", "assessments", "access_log"):
        for number, row in enumerate(data[section], start=1):
            for field, value in row.items():
                if field == "answers":
                    for item_id, answer in value.items():
                        writer.writerow([section, number, f"answer:{item_id}", answer])
                else:
                    writer.writerow([section, number, field, _cell(value)])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # Spreadsheet programs would run a cell that starts like a formula.
        return "'" + value
    return str(_plain(value))


def readable_assessments(data: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Return the stored assessments with question and answer texts, for the page."""
    readable = []
    for row in data["assessments"]:
        try:
            instrument = get_instrument(row["instrument"])
        except KeyError:
            instrument = None  # an instrument no longer shipped: show the raw values
        answers = []
        for item_id, value in row["answers"].items():
            question, answer = item_id, str(value)
            if instrument is not None:
                try:
                    item = instrument.item(item_id)
                except KeyError:
                    item = None
                if item is not None:
                    question = item.text.get(language)
                    for option in item.options:
                        if option.value == value and option.label is not None:
                            answer = f"{option.label.get(language)} ({value})"
            answers.append((question, answer))
        band = row["band"]
        if instrument is not None:
            try:
                band = instrument.band(row["band"]).label.get(language)
            except KeyError:
                pass
        readable.append(
            {
                "name": instrument.name.get(language) if instrument else row["instrument"],
                "taken_on": row["taken_on"],
                "score": row["score"],
                "band": band,
                "answers": answers,
            }
        )
    return readable
