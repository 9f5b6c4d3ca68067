"""Erase a participant whose consent is withdrawn, as COACH_ERASURE_MODE says.

"delete": the person and every row about them are deleted.
"unlink": the rows that statistics need (assessments, labour-market history,
attendance) are kept, but moved to a new anonymous participant that carries no
name, no free text, no exact dates and no link to the old record; every other row
about the person is deleted, and so is the old record.

Nothing may lead from the person to the copy: its dates are the starts of the group's
months (what reports and exports count in), attendance becomes counts per month (a
meeting's date is exact), its timestamps tell nothing of when the erasure happened, and
the person's audit events lose the ids of the rows the copy now holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from piccolo.columns import ForeignKey
from piccolo.table import Table

from coach import piccolo_app
from coach.assessments.schedule import add_months
from coach.assessments.tables import Assessment
from coach.audit.log import forget_detail_keys, record
from coach.db import row_locked
from coach.forms import today
from coach.groups.tables import CoachingGroup
from coach.meetings.tables import Attendance, Meeting
from coach.participants.tables import KeptAttendance, Participant, StatusChange
from coach.settings import ERASURE_MODES
from coach.submissions.service import forget_submissions_of

BIRTH_YEAR_STEP = 5  # kept birth years are rounded down to five-year steps
# Audit detail keys that hold ids of rows "unlink" keeps (assessments, status entries).
KEPT_ROW_KEYS = ("assessment", "assessments", "status_change")
NAME_PART_MIN = 3  # name parts of two letters ("Ek", "Li") would be found in every note
EXCERPT_CHARS = 80  # either side of where a note names the person


class ErasureRefused(Exception):
    """The participant cannot be erased: consent is still valid."""


class ParticipantGone(ErasureRefused):
    """There is no such participant (any more): erased meanwhile, or never there."""


@dataclass(frozen=True)
class ErasureResult:
    mode: str
    deleted: dict[str, int]
    kept: dict[str, int]


def months_since(day: dt.date, start: dt.date) -> int:
    """Return whole months from start to day, as coach.reports.population counts them."""
    months = (day.year - start.year) * 12 + day.month - start.month
    return months - 1 if day.day < start.day else months


def group_month_start(start: dt.date, month: int) -> dt.date:
    """Return the first day of the group's month: start's day, or the 1st after a short month."""
    day = add_months(start, month)
    # add_months stops at a short month's last day, which months_since still counts in the
    # month before (Feb 28 is month 0 of a start on Jan 31): the group's month starts after.
    return day if day.day == start.day else day + dt.timedelta(days=1)


def coarse(day: dt.date, start: dt.date) -> dt.date:
    """Return the start of the group's month that holds the day: all that is kept of it."""
    return group_month_start(start, months_since(day, start))


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


async def _move_assessments(old_id: int, new_id: int, start: dt.date) -> None:
    rows = await Assessment.select(Assessment.id, Assessment.taken_on).where(
        Assessment.participant == old_id
    )
    for row in rows:
        # Exact dates and times could be matched with what a coach remembers.
        day = coarse(row["taken_on"], start)
        await Assessment.update(
            {
                Assessment.participant: new_id,
                Assessment.taken_on: day,
                Assessment.completed_at: _midnight(day),
                Assessment.recorded_by: None,
            }
        ).where(Assessment.id == row["id"])


async def _move_status_history(old_id: int, new_id: int, start: dt.date) -> None:
    rows = await StatusChange.select(StatusChange.id, StatusChange.effective_on).where(
        StatusChange.participant == old_id
    )
    for row in rows:
        day = coarse(row["effective_on"], start)
        await StatusChange.update(
            {
                StatusChange.participant: new_id,
                StatusChange.effective_on: day,
                StatusChange.recorded_at: _midnight(day),
                StatusChange.recorded_by: None,
            }
        ).where(StatusChange.id == row["id"])


async def _count_attendance(old_id: int, new_id: int, start: dt.date) -> None:
    """Keep attendance as counts per month of the group; meetings still ahead are dropped."""
    rows = await Attendance.select(
        Attendance.meeting.held_on.as_alias("held_on"), Attendance.present
    ).where(Attendance.participant == old_id)
    expected: Counter[int] = Counter()
    present: Counter[int] = Counter()
    for row in rows:
        if row["held_on"] > today():
            continue
        month = months_since(row["held_on"], start)
        expected[month] += 1
        present[month] += 1 if row["present"] else 0
    if expected:
        await KeptAttendance.insert(*(
            KeptAttendance(participant=new_id, month=month, meetings=expected[month],
                           present=present[month])
            for month in sorted(expected)
        ))
    await Attendance.delete().where(Attendance.participant == old_id)


# Only these tables are kept by "unlink"; rows of any other table are deleted.
KEPT_WHEN_UNLINKED: dict[type[Table], Callable[[int, int, dt.date], Awaitable[None]]] = {
    Assessment: _move_assessments,
    StatusChange: _move_status_history,
    Attendance: _count_attendance,
}


def anonymous_copy(participant: Participant, start: dt.date) -> Participant:
    """Return a new record with only coarse facts that the funder's counts need."""
    enrolled = coarse(participant.enrolled_on, start)
    # The erasure's own day would match the erase event in the audit log: the copy's
    # timestamps say only which month of the group the person joined in.
    stamp = _midnight(enrolled)
    return Participant(
        group=participant.group,
        display_name="",
        birth_year=participant.birth_year - participant.birth_year % BIRTH_YEAR_STEP,
        gender=participant.gender,
        education=participant.education,
        status_at_entry=participant.status_at_entry,
        unemployed_for=participant.unemployed_for,
        enrolled_on=enrolled,
        exited_on=coarse(participant.exited_on, start) if participant.exited_on else None,
        exit_reason=None,
        consent_given_on=None,
        consent_version=None,
        consent_recorded_by=None,
        consent_withdrawn_on=None,
        erased_at=stamp,
        created_at=stamp,
    )


async def _locked(participant_id: int) -> Participant | None:
    """Return the participant, locked until the transaction ends.

    A write about the person at the same moment then waits, and finds them gone.
    """
    return await row_locked(Participant.objects().where(Participant.id == participant_id)).first()


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
        participant = await _locked(participant_id)
        if participant is None or participant.erased_at is not None:
            raise ParticipantGone("no such participant")
        if not may_erase(participant):
            raise ErasureRefused("consent has not been withdrawn")
        group = await CoachingGroup.objects().get(CoachingGroup.id == participant.group)
        start = group.starts_on
        new_id = None
        if mode == "unlink":
            anonymous = anonymous_copy(participant, start)
            await anonymous.save()
            new_id = anonymous.id
        for table, column in participant_links():
            name = table._meta.tablename
            count = await table.count().where(column == participant_id)
            if not count:
                continue
            if new_id is not None and table in KEPT_WHEN_UNLINKED:
                await KEPT_WHEN_UNLINKED[table](participant_id, new_id, start)
                kept[name] = kept.get(name, 0) + count
            else:
                await table.delete().where(column == participant_id)
                deleted[name] = deleted.get(name, 0) + count
        if new_id is not None:
            await forget_detail_keys("participant", participant_id, KEPT_ROW_KEYS)
        # Saved-form keys of the person's own checks, and of forms that led to their page.
        await forget_submissions_of(participant_id)
        await Participant.delete().where(Participant.id == participant_id)
        # Neither the new anonymous id nor how many rows it holds is recorded anywhere:
        # both would lead from this event to the copy.
        await record(
            "participant.erase",
            actor_user_id=actor_user_id,
            actor_label=actor_label,
            target_type="participant",
            target_id=participant_id,
            detail={"mode": mode, "deleted": deleted},
            ip=ip,
        )
    return ErasureResult(mode=mode, deleted=deleted, kept=kept)


# --- notes that still name the person ------------------------------------------------------


def name_terms(name: str) -> list[str]:
    """Return what to look for: the whole name and each part of three letters or more."""
    whole = " ".join(name.split()).casefold()
    parts = [part for part in re.split(r"[\s\-]+", whole) if len(part) >= NAME_PART_MIN]
    return list(dict.fromkeys(term for term in [whole, *parts] if term))


def _first_mention(text: str, terms: list[str]) -> int | None:
    """Return where a term first starts a word of the text ("Eevan" counts, "Keeva" not)."""
    folded = text.casefold()
    found = [match.start() for term in terms
             if (match := re.search(rf"(?<!\w){re.escape(term)}", folded))]
    return min(found) if found else None


def names_in(text: str, terms: list[str]) -> bool:
    return _first_mention(text, terms) is not None


def excerpt(text: str, terms: list[str]) -> str:
    """Return the part of a note around where it first names the person."""
    at = _first_mention(text, terms) or 0
    if len(text.casefold()) != len(text):  # a letter that folds into two: positions differ
        at = 0
    begin, end = max(0, at - EXCERPT_CHARS), min(len(text), at + EXCERPT_CHARS)
    return ("…" if begin else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


async def notes_naming(participant: Participant) -> list[dict[str, Any]]:
    """Return the meetings of the person's group whose private note names them, by date.

    Erasure cannot edit a coach's free text; the admin edits these notes first.
    """
    terms = name_terms(participant.display_name)
    rows = await (Meeting.select(Meeting.id, Meeting.held_on, Meeting.private_note)
                  .where((Meeting.group == participant.group) & (Meeting.private_note != ""))
                  .order_by(Meeting.held_on).order_by(Meeting.id))
    return [{"id": row["id"], "held_on": row["held_on"],
             "excerpt": excerpt(row["private_note"], terms)}
            for row in rows if names_in(row["private_note"], terms)]
