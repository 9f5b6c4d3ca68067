"""Erase a participant whose consent is withdrawn, as COACH_ERASURE_MODE says.

"delete": the person and every row about them are deleted.
"unlink": the rows that statistics need (assessments, labour-market history,
attendance) are kept, but moved to a new anonymous participant that carries no
name, no free text, no exact dates and no link to the old record; every other row
about the person is deleted, and so is the old record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from piccolo.columns import ForeignKey
from piccolo.table import Table

from coach import piccolo_app
from coach.assessments.tables import Assessment
from coach.audit.log import record
from coach.forms import today
from coach.meetings.tables import Attendance
from coach.participants.tables import Participant, StatusChange
from coach.settings import ERASURE_MODES

BIRTH_YEAR_STEP = 5  # kept birth years are rounded down to five-year steps


class ErasureRefused(Exception):
    """The participant cannot be erased (consent still valid, or already erased)."""


@dataclass(frozen=True)
class ErasureResult:
    mode: str
    deleted: dict[str, int]
    kept: dict[str, int]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def may_erase(participant: Participant) -> bool:
    """Return whether a participant may be erased: consent withdrawn or never given."""
    return participant.erased_at is None and (
        participant.consent_withdrawn_on is not None or participant.consent_given_on is None
    )


def participant_links() -> list[tuple[type[Table], ForeignKey]]:
    """Return every (table, column) that refers to a participant, so new tables are covered."""
    links = []
    for table in piccolo_app.TABLES:
        for column in table._meta.foreign_key_columns:
            if column._foreign_key_meta.resolved_references is Participant:
                links.append((table, column))
    return links


async def _move_assessments(old_id: int, new_id: int) -> None:
    rows = await Assessment.select(Assessment.id, Assessment.taken_on).where(
        Assessment.participant == old_id
    )
    for row in rows:
        # Exact dates and times could be matched with what a coach remembers.
        day = month_start(row["taken_on"])
        await Assessment.update(
            {
                Assessment.participant: new_id,
                Assessment.taken_on: day,
                Assessment.completed_at: _midnight(day),
                Assessment.recorded_by: None,
            }
        ).where(Assessment.id == row["id"])


async def _move_status_history(old_id: int, new_id: int) -> None:
    rows = await StatusChange.select(StatusChange.id, StatusChange.effective_on).where(
        StatusChange.participant == old_id
    )
    for row in rows:
        day = month_start(row["effective_on"])
        await StatusChange.update(
            {
                StatusChange.participant: new_id,
                StatusChange.effective_on: day,
                StatusChange.recorded_at: _midnight(day),
                StatusChange.recorded_by: None,
            }
        ).where(StatusChange.id == row["id"])


async def _move_attendance(old_id: int, new_id: int) -> None:
    await Attendance.update({Attendance.participant: new_id}).where(
        Attendance.participant == old_id
    )


# Only these tables are kept by "unlink"; rows of any other table are deleted.
KEPT_WHEN_UNLINKED: dict[type[Table], Callable[[int, int], Awaitable[None]]] = {
    Assessment: _move_assessments,
    StatusChange: _move_status_history,
    Attendance: _move_attendance,
}


def anonymous_copy(participant: Participant, today: dt.date) -> Participant:
    """Return a new record with only coarse facts that the funder's counts need."""
    return Participant(
        group=participant.group,
        display_name="",
        birth_year=participant.birth_year - participant.birth_year % BIRTH_YEAR_STEP,
        gender=participant.gender,
        education=participant.education,
        status_at_entry=participant.status_at_entry,
        unemployed_for=participant.unemployed_for,
        enrolled_on=month_start(participant.enrolled_on),
        exited_on=month_start(participant.exited_on) if participant.exited_on else None,
        exit_reason=None,
        consent_given_on=None,
        consent_version=None,
        consent_recorded_by=None,
        consent_withdrawn_on=None,
        # Day precision only, so the time of the erasure event does not point here.
        erased_at=_midnight(today),
        created_at=_midnight(today),
    )


async def erase_participant(
    participant_id: int,
    mode: str,
    *,
    actor_user_id: int | None,
    actor_label: str,
    ip: str = "",
) -> ErasureResult:
    """Erase one participant in one transaction and audit it."""
    if mode not in ERASURE_MODES:
        raise ValueError(f"unknown erasure mode {mode!r}")
    deleted: dict[str, int] = {}
    kept: dict[str, int] = {}
    async with Participant._meta.db.transaction():
        participant = await Participant.objects().get(Participant.id == participant_id)
        if participant is None:
            raise ErasureRefused("no such participant")
        if not may_erase(participant):
            raise ErasureRefused("consent has not been withdrawn")
        new_id = None
        if mode == "unlink":
            anonymous = anonymous_copy(participant, today())
            await anonymous.save()
            new_id = anonymous.id
        for table, column in participant_links():
            name = table._meta.tablename
            count = await table.count().where(column == participant_id)
            if not count:
                continue
            if new_id is not None and table in KEPT_WHEN_UNLINKED:
                await KEPT_WHEN_UNLINKED[table](participant_id, new_id)
                kept[name] = kept.get(name, 0) + count
            else:
                await table.delete().where(column == participant_id)
                deleted[name] = deleted.get(name, 0) + count
        await Participant.delete().where(Participant.id == participant_id)
        # The new anonymous id is deliberately not recorded anywhere.
        await record(
            "participant.erase",
            actor_user_id=actor_user_id,
            actor_label=actor_label,
            target_type="participant",
            target_id=participant_id,
            detail={"mode": mode, "deleted": deleted, "kept": kept},
            ip=ip,
        )
    return ErasureResult(mode=mode, deleted=deleted, kept=kept)
