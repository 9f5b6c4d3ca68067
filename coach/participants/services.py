"""Participants: add, edit, mark as left, record news, and the coach's view of one person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from litestar.exceptions import NotFoundException

from coach.assessments.instruments import get_instrument
from coach.assessments.services import progress_of
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.choices import (
    FUNDER_CATEGORY,
    Education,
    FunderCategory,
    Gender,
    LabourStatus,
    UnemploymentDuration,
)
from coach.forms import (
    Collector,
    Errors,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
    text,
)
from coach.groups.tables import CoachingGroup
from coach.i18n import current_language, format_day
from coach.i18n import gettext as _
from coach.meetings.tables import Attendance
from coach.participant_portal.chart import chart_for
from coach.participants.consent import (
    ConsentWithdrawn,
    ParticipantRemoved,
    lock_for_new_data,
)
from coach.participants.tables import Participant, StatusChange

OLDEST_AGE = 100
YOUNGEST_AGE = 15
NAME_MAX = 80
CONSENT_VERSION_MAX = 20
EXIT_REASON_MAX = 500

PARTICIPANT_FIELDS = ("display_name", "birth_year", "gender", "education", "status_at_entry",
                      "unemployed_for", "enrolled_on")
CONSENT_FIELDS = ("consent_given_on", "consent_version")


def form_values(participant: Participant) -> dict[str, str]:
    """Return a participant's fields as the strings an edit form shows."""
    values = {}
    for name in PARTICIPANT_FIELDS + CONSENT_FIELDS:
        value = getattr(participant, name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else str(value or "")
    return values


def validate_participant(data: Mapping[str, Any], group: CoachingGroup, today: dt.date, *,
                         adding: bool) -> tuple[dict[str, Any], Errors]:
    """Check the add or edit form; consent is required only when adding."""
    form = Collector()
    form.read("display_name", parse_text, text(data, "display_name"), NAME_MAX)
    form.read("birth_year", parse_int, text(data, "birth_year"),
              today.year - OLDEST_AGE, today.year - YOUNGEST_AGE)
    form.read("gender", parse_choice, text(data, "gender"), Gender)
    form.read("education", parse_choice, text(data, "education"), Education)
    status = form.read("status_at_entry", parse_choice, text(data, "status_at_entry"), LabourStatus)
    duration = form.read("unemployed_for", parse_choice, text(data, "unemployed_for"),
                         UnemploymentDuration, required=False)
    # A work trial keeps the person a jobseeker (the funder counts both as unemployed, and
    # long-term unemployment, CO02, needs the duration), so both ask for it.
    jobseeker = status is not None and FUNDER_CATEGORY.get(status) is FunderCategory.unemployed
    if jobseeker and not duration and "unemployed_for" not in form.errors:
        form.fail("unemployed_for", _("Choose how long the person has been unemployed."))
    if status and not jobseeker:
        form.cleaned["unemployed_for"] = None  # the duration only describes unemployment
    enrolled = form.read("enrolled_on", parse_date, text(data, "enrolled_on"))
    if enrolled and not group.starts_on <= enrolled <= group.ends_on:
        form.fail("enrolled_on", _("The date must be within the group's period, %(start)s–%(end)s.")
                  % {"start": format_day(group.starts_on), "end": format_day(group.ends_on)})
    if adding:
        consent = form.read("consent_given_on", parse_date, text(data, "consent_given_on"))
        if consent and consent > today:
            form.fail("consent_given_on", _("The date cannot be in the future."))
        form.read("consent_version", parse_text, text(data, "consent_version"),
                  CONSENT_VERSION_MAX)
    return form.cleaned, form.errors


async def add_participant(group: CoachingGroup, cleaned: dict[str, Any],
                          recorded_by: int | None) -> Participant:
    """Create a participant and the first entry of their status history."""
    async with Participant._meta.db.transaction():
        participant = Participant(group=group.id, consent_recorded_by=recorded_by,
                                  created_at=now(), **cleaned)
        await participant.save()
        await StatusChange(participant=participant.id, status=cleaned["status_at_entry"],
                           effective_on=cleaned["enrolled_on"], recorded_by=recorded_by,
                           recorded_at=now()).save()
    return participant


async def _entry_status(participant_id: int) -> StatusChange | None:
    return await (StatusChange.objects()
                  .where(StatusChange.participant == participant_id)
                  .order_by(StatusChange.effective_on).order_by(StatusChange.id).first())


async def check_edit(participant: Participant, cleaned: dict[str, Any]) -> Errors:
    """Refuse an enrolment date later than news already recorded for the person."""
    enrolled = cleaned.get("enrolled_on")
    if not enrolled:
        return {}
    entry = await _entry_status(participant.id)
    later_news = StatusChange.participant == participant.id
    if entry is not None:
        later_news = later_news & (StatusChange.id != entry.id)
    if await StatusChange.exists().where(later_news & (StatusChange.effective_on < enrolled)):
        return {"enrolled_on": _("News has been recorded before this date.")}
    if participant.exited_on and enrolled > participant.exited_on:
        return {"enrolled_on": _("The person left the group before this date.")}
    return {}


async def update_participant(participant: Participant, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Save edited fields; keep the first status entry in step. Return what changed."""
    changed = {name: value for name, value in cleaned.items()
               if getattr(participant, name) != value}
    if not changed:
        return {}
    async with Participant._meta.db.transaction():
        # Checked in the same statement as the write, so a withdrawal at the same moment
        # cannot slip in between: after it, the details are no longer changed.
        saved = await (Participant.update(changed)
                       .where((Participant.id == participant.id)
                              & Participant.consent_withdrawn_on.is_null())
                       .returning(Participant.id))
        if not saved:
            if await Participant.exists().where(Participant.id == participant.id):
                raise ConsentWithdrawn([participant.display_name])
            raise ParticipantRemoved()
        entry = await _entry_status(participant.id)
        if entry is not None and {"status_at_entry", "enrolled_on"} & changed.keys():
            await StatusChange.update({
                StatusChange.status: cleaned["status_at_entry"],
                StatusChange.effective_on: cleaned["enrolled_on"],
            }).where(StatusChange.id == entry.id)
    for name, value in changed.items():
        setattr(participant, name, value)
    return changed


def validate_exit(data: Mapping[str, Any], participant: Participant,
                  today: dt.date) -> tuple[dict[str, Any], Errors]:
    """Check the exit date (from enrolment to today) and the reason."""
    form = Collector()
    exited = form.read("exited_on", parse_date, text(data, "exited_on"))
    if exited and exited < participant.enrolled_on:
        form.fail("exited_on", _("The date cannot be before the enrolment date, %(date)s.")
                  % {"date": format_day(participant.enrolled_on)})
    if exited and exited > today:
        form.fail("exited_on", _("The date cannot be in the future."))
    form.read("exit_reason", parse_text, text(data, "exit_reason"), EXIT_REASON_MAX)
    return form.cleaned, form.errors


async def mark_left(participant: Participant, exited_on: dt.date, exit_reason: str) -> bool:
    """Record that a participant left the group; False if they were erased meanwhile."""
    updated = await (Participant.update({Participant.exited_on: exited_on,
                                         Participant.exit_reason: exit_reason})
                     .where((Participant.id == participant.id)
                            & Participant.erased_at.is_null())
                     .returning(Participant.id))
    participant.exited_on = exited_on
    participant.exit_reason = exit_reason
    return bool(updated)


def validate_news(data: Mapping[str, Any], participant: Participant,
                  today: dt.date) -> tuple[dict[str, Any], Errors]:
    """Check a status change: a known code, dated from enrolment to today."""
    form = Collector()
    form.read("status", parse_choice, text(data, "status"), LabourStatus)
    effective = form.read("effective_on", parse_date, text(data, "effective_on"))
    if effective and effective < participant.enrolled_on:
        form.fail("effective_on", _("The date cannot be before the enrolment date, %(date)s.")
                  % {"date": format_day(participant.enrolled_on)})
    if effective and effective > today:
        form.fail("effective_on", _("The date cannot be in the future."))
    return form.cleaned, form.errors


async def record_news(participant: Participant, status: str, effective_on: dt.date,
                      recorded_by: int | None) -> StatusChange:
    """Append a labour-market status to the history; refuse it after withdrawn consent."""
    async with StatusChange._meta.db.transaction():
        # Consent as it is now, not as the page saw it: a withdrawal at the same moment
        # comes wholly before (refused) or after this write.
        await lock_for_new_data(participant.id)
        change = StatusChange(participant=participant.id, status=status,
                              effective_on=effective_on, recorded_by=recorded_by,
                              recorded_at=now())
        await change.save()
    return change


async def status_history(participant_id: int) -> list[dict[str, Any]]:
    """Return the status history, oldest first (same-day entries in the order recorded)."""
    return await (StatusChange.select(StatusChange.id, StatusChange.status,
                                      StatusChange.effective_on, StatusChange.recorded_at)
                  .where(StatusChange.participant == participant_id)
                  .order_by(StatusChange.effective_on).order_by(StatusChange.id))


async def get_news_entry(participant: Participant, entry_id: int) -> StatusChange:
    """Return one entry of this participant's status history, or raise 404."""
    entry = await StatusChange.objects().where(
        (StatusChange.id == entry_id) & (StatusChange.participant == participant.id)).first()
    if entry is None:
        raise NotFoundException()
    return entry


async def is_entry_status(entry: StatusChange) -> bool:
    """Say whether this is the status at enrolment, which only editing the details changes."""
    first = await _entry_status(entry.participant)
    return first is not None and first.id == entry.id


async def remove_news(entry: StatusChange) -> bool:
    """Delete a mistaken status entry; refuse (False) the status at enrolment."""
    async with StatusChange._meta.db.transaction():
        if await is_entry_status(entry):
            return False
        await StatusChange.delete().where(StatusChange.id == entry.id)
    return True


def current_status(history: list[dict[str, Any]], on: dt.date) -> str | None:
    """Return the status in force on a date, from a history sorted oldest first."""
    status = None
    for entry in history:
        if entry["effective_on"] <= on:
            status = entry["status"]
    return status


async def attendance_history(participant_id: int) -> list[dict[str, Any]]:
    """Return the meetings the participant was expected at, newest first."""
    return await (Attendance.select(Attendance.meeting.held_on.as_alias("held_on"),
                                    Attendance.meeting.id.as_alias("meeting_id"),
                                    Attendance.present)
                  .where(Attendance.participant == participant_id)
                  .order_by(Attendance.meeting.held_on, ascending=False))


async def score_history(participant_id: int) -> list[dict[str, Any]]:
    """Return the participant's assessment scores, oldest first."""
    return await (Assessment.select(Assessment.id, Assessment.instrument, Assessment.taken_on,
                                    Assessment.score, Assessment.band)
                  .where(Assessment.participant == participant_id)
                  .order_by(Assessment.taken_on).order_by(Assessment.id))


def describe_scores(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the instrument's name and the band's label, in the current language."""
    language = current_language.get()
    for row in scores:
        try:
            instrument = get_instrument(row["instrument"])
        except KeyError:  # an instrument since retired: show its id
            row["name"], row["band_label"] = row["instrument"], row["band"]
            continue
        row["name"] = instrument.name.get(language)
        try:
            row["band_label"] = instrument.band(row["band"]).label.get(language)
        except KeyError:
            row["band_label"] = row["band"]
    return scores


async def participant_overview(participant: Participant, today: dt.date) -> dict[str, Any]:
    """Gather the status, attendance and score timelines of one participant."""
    history = await status_history(participant.id)
    attendance = await attendance_history(participant.id)
    present = sum(1 for row in attendance if row["present"])
    return {
        "history": list(reversed(history)),
        "entry_id": history[0]["id"] if history else None,  # the status at enrolment
        "status": current_status(history, today) or participant.status_at_entry,
        "attendance": attendance,
        "attended": present,
        "expected": len(attendance),
        "scores": describe_scores(await score_history(participant.id)),
        "charts": [(entry, chart_for(entry))
                   for entry in await progress_of(participant.id, current_language.get())],
    }
