"""Save self-assessments, build a participant's progress, and tell who is due for a check."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coach.assessments.instruments import (
    AnswerError,
    Instrument,
    all_instruments,
    get_instrument,
)
from coach.assessments.schedule import (
    DUE,
    LATE,
    Cadence,
    PointStatus,
    current_point,
    measurement_points,
    point_statuses,
)
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.choices import AssessmentMode
from coach.forms import local_date
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.participants.tables import Participant

BETTER, SAME, WORSE = 1, 0, -1
RESUBMIT_MINUTES = 10


class ConsentError(Exception):
    """The participant has no recorded consent, or has withdrawn it: nothing may be stored."""


def may_collect(participant: Participant | Mapping[str, Any]) -> bool:
    """Return whether new data may be collected from a participant (an object or a row)."""
    # Item access: a Piccolo object answers it as a row does.
    return (
        participant["consent_given_on"] is not None
        and participant["consent_withdrawn_on"] is None
        and participant["erased_at"] is None
    )


def check_instrument_ids(instrument_ids: list[str]) -> list[Instrument]:
    """Return the instruments of a check, refusing unknown or repeated ids."""
    if not instrument_ids or len(set(instrument_ids)) != len(instrument_ids):
        raise AnswerError("a check needs one or more different instruments")
    try:
        return [get_instrument(name) for name in instrument_ids]
    except KeyError:
        raise AnswerError("unknown instrument") from None


async def save_check(
    participant_id: int,
    answers: Mapping[str, Mapping[str, Any]],
    *,
    mode: AssessmentMode,
    recorded_by: int | None = None,
    taken_on: dt.date | None = None,
) -> list[Assessment]:
    """Score and store one assessment per instrument, all or nothing.

    answers maps instrument id -> {item id: value}. Scores are computed here from
    the answers; nothing is stored if consent is missing or any answer is invalid.
    Returns the new rows, or none when the same answers were stored moments ago.
    """
    instruments = check_instrument_ids(list(answers))
    # Score everything before touching the database, so a bad answer stores nothing.
    scored = [
        (instrument, instrument.check_answers(dict(answers[instrument.id])))
        for instrument in instruments
    ]
    results = [(instrument, clean, instrument.score(clean)) for instrument, clean in scored]
    completed_at = now()
    async with Participant._meta.db.transaction():
        participant = await Participant.objects().get(Participant.id == participant_id)
        if participant is None or not may_collect(participant):
            raise ConsentError(f"participant {participant_id} has no valid consent")
        # The Finnish calendar day: a check done at 00:30 in Helsinki is not yesterday's.
        taken_on = taken_on or local_date(completed_at)
        if await _already_saved(participant_id, results, completed_at, taken_on):
            return []
        rows = [
            Assessment(
                participant=participant_id,
                instrument=instrument.id,
                instrument_version=instrument.version,
                taken_on=taken_on,
                completed_at=completed_at,
                answers=clean,
                raw_score=result.raw_score,
                score=result.score,
                band=result.band,
                mode=mode.value,
                recorded_by=recorded_by,
            )
            for instrument, clean, result in results
        ]
        await Assessment.insert(*rows)
    return rows


async def _already_saved(
    participant_id: int, results: list, moment: dt.datetime, taken_on: dt.date
) -> bool:
    """Say whether the same answers were just stored: a form sent twice is stored once."""
    recent = (
        await Assessment.select(Assessment.instrument, Assessment.answers)
        .where(
            (Assessment.participant == participant_id)
            & (Assessment.taken_on == taken_on)
            & (Assessment.completed_at > moment - dt.timedelta(minutes=RESUBMIT_MINUTES))
        )
        .output(load_json=True)
    )
    stored = {(row["instrument"], json.dumps(row["answers"], sort_keys=True)) for row in recent}
    return all(
        (instrument.id, json.dumps(clean, sort_keys=True)) in stored
        for instrument, clean, _result in results
    )


async def assessments_of(participant_id: int) -> list[dict[str, Any]]:
    """Return a participant's assessments, oldest first."""
    return (
        await Assessment.select()
        .where(Assessment.participant == participant_id)
        .order_by(Assessment.taken_on, Assessment.completed_at)
        .output(load_json=True)
    )


# --- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressPoint:
    taken_on: dt.date
    score: float
    band_label: str


@dataclass(frozen=True)
class Progress:
    instrument: Instrument
    name: str
    points: list[ProgressPoint]
    change: int | None  # BETTER, SAME or WORSE since the first; None with one point
    language: str = "en"

    @property
    def latest(self) -> ProgressPoint:
        return self.points[-1]

    @property
    def change_words(self) -> str:
        """Say in plain words how the latest result compares with the first."""
        language = self.language
        if self.change is None:
            return _("This is your first result. Next time you will see how it changes.", language)
        if self.change == BETTER:
            return _("Better than at the start", language)
        if self.change == WORSE:
            return _("Worse than at the start", language)
        return _("About the same as at the start", language)


def build_progress(
    instrument: Instrument, rows: list[Mapping[str, Any]], language: str
) -> Progress:
    """Return one instrument's series with band words; never a diagnosis."""
    points = [
        ProgressPoint(
            taken_on=row["taken_on"],
            score=row["score"],
            band_label=instrument.band_for(row["score"]).label.get(language),
        )
        for row in rows
    ]
    change = None
    if len(points) > 1:
        change = instrument.change_is_meaningful(points[0].score, points[-1].score)
    return Progress(instrument, instrument.name.get(language), points, change, language)


async def progress_of(participant_id: int, language: str) -> list[Progress]:
    """Return a series per instrument the participant has answered, in check order."""
    rows = await assessments_of(participant_id)
    series = []
    for instrument in all_instruments():
        own = [row for row in rows if row["instrument"] == instrument.id]
        if own:
            series.append(build_progress(instrument, own, language))
    return series


# --- schedule --------------------------------------------------------------------------------


def check_instrument_list() -> list[str]:
    """Return the ids of the instruments a full check asks, in order."""
    return [instrument.id for instrument in all_instruments()]


def instrument_cadences() -> dict[str, Cadence]:
    """Return each instrument's cadence: the measurement points at which a check asks it."""
    return {instrument.id: instrument.schedule for instrument in all_instruments()}


def schedule_of(
    group: CoachingGroup, participant: Participant, taken: list[tuple[str, dt.date]], today: dt.date
) -> list[PointStatus]:
    """Return the status of each of a participant's measurement points."""
    points = measurement_points(
        group.starts_on,
        group.ends_on,
        group.assessment_interval_weeks,
        enrolled_on=participant.enrolled_on,
        exited_on=participant.exited_on,
    )
    return point_statuses(points, taken, check_instrument_list(), today, instrument_cadences())


async def participant_schedule(participant: Participant, today: dt.date) -> list[PointStatus]:
    """Return a participant's measurement points with their status."""
    group = await CoachingGroup.objects().get(CoachingGroup.id == participant.group)
    taken = [(row["instrument"], row["taken_on"]) for row in await assessments_of(participant.id)]
    return schedule_of(group, participant, taken, today)


@dataclass(frozen=True)
class DueEntry:
    participant_id: int
    display_name: str
    status: str  # due, late, or "" when nothing is needed now
    point: PointStatus | None


def due_entries(group: CoachingGroup, people: list[Mapping[str, Any]],
                taken_by_person: Mapping[int, list[tuple[str, dt.date]]], today: dt.date
                ) -> list[DueEntry]:
    """Say, for each of a group's people who can still answer, whether a check is due now.

    people: participant rows with id, display_name, enrolled_on, exited_on and the consent
    and erasure dates, in the order wanted; taken_by_person: participant id ->
    (instrument, day) of every answer. Pure, so that the group page and the home page,
    which read these rows for other uses too, do not read them again.
    """
    instruments, cadences = check_instrument_list(), instrument_cadences()
    # Most people share the group's dates (no late start, no early exit): one set of points.
    points_by_dates: dict[tuple[dt.date, dt.date | None], list] = {}
    entries = []
    for person in people:
        if not may_collect(person):
            continue
        dates = (person["enrolled_on"], person["exited_on"])
        points = points_by_dates.get(dates)
        if points is None:
            points = points_by_dates[dates] = measurement_points(
                group.starts_on, group.ends_on, group.assessment_interval_weeks,
                enrolled_on=dates[0], exited_on=dates[1])
        statuses = point_statuses(points, taken_by_person.get(person["id"], ()), instruments,
                                  today, cadences)
        point = current_point(statuses)
        status = point.status if point and point.status in (DUE, LATE) else ""
        entries.append(DueEntry(person["id"], person["display_name"], status, point))
    return entries


def taken_by_person(participant_ids: list[int], answers: list[Mapping[str, Any]]
                    ) -> dict[int, list[tuple[str, dt.date]]]:
    """Return participant id -> (instrument, day) of each of their answers, for the schedule."""
    taken: dict[int, list[tuple[str, dt.date]]] = {pid: [] for pid in participant_ids}
    for row in answers:
        taken[row["participant"]].append((row["instrument"], row["taken_on"]))
    return taken


async def answers_by_person(participant_ids: list[int]
                            ) -> dict[int, list[tuple[str, dt.date]]]:
    """Read taken_by_person of these participants."""
    if not participant_ids:
        return {}
    rows = await (Assessment.select(Assessment.participant, Assessment.instrument,
                                    Assessment.taken_on)
                  .where(Assessment.participant.is_in(participant_ids)))
    return taken_by_person(participant_ids, rows)
