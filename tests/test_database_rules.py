"""The database itself refuses values out of range and duplicate pairs, on both engines."""

import datetime as dt
import sqlite3

import pytest
from asyncpg.exceptions import IntegrityConstraintViolationError

from coach.audit.log import now
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.participants.tables import Participant
from tests.factories import make_group, make_participant, make_user


async def refused(query) -> bool:
    """Run a write and say whether the database refused it as breaking a rule."""
    try:
        await query
    except (sqlite3.IntegrityError, IntegrityConstraintViolationError):
        return True
    return False


@pytest.mark.parametrize(
    ("column", "value"),
    [("birth_year", 1850), ("birth_year", 2150)],
)
async def test_a_birth_year_out_of_range_is_refused(column, value):
    group = await make_group()
    person = await make_participant(group)
    assert await refused(Participant.update({getattr(Participant, column): value}).where(
        Participant.id == person.id))
    stored = await Participant.select(Participant.birth_year).first()
    assert stored["birth_year"] == 1980


async def test_an_exit_before_enrolment_is_refused():
    group = await make_group()
    person = await make_participant(group)
    assert await refused(Participant.update(
        {Participant.exited_on: person.enrolled_on - dt.timedelta(days=1)}
    ).where(Participant.id == person.id))
    assert (await Participant.select(Participant.exited_on).first())["exited_on"] is None


async def test_a_group_ending_before_it_starts_is_refused():
    today = dt.date.today()
    assert await refused(CoachingGroup.insert(CoachingGroup(
        name="Backwards", starts_on=today, ends_on=today - dt.timedelta(days=1), created_at=now())))
    assert await CoachingGroup.count() == 0


@pytest.mark.parametrize("minutes", [0, -5, 2000])
async def test_a_meeting_length_out_of_range_is_refused(minutes):
    group = await make_group()
    assert await refused(Meeting.insert(Meeting(
        group=group.id, held_on=dt.date.today(), duration_minutes=minutes, themes=[],
        created_at=now(), updated_at=now())))
    assert await Meeting.count() == 0


async def test_a_participant_is_marked_once_per_meeting():
    group = await make_group()
    person = await make_participant(group)
    meeting = Meeting(group=group.id, held_on=dt.date.today(), duration_minutes=90, themes=[],
                      created_at=now(), updated_at=now())
    await meeting.save()
    await Attendance(meeting=meeting.id, participant=person.id, present=True).save()
    assert await refused(Attendance.insert(
        Attendance(meeting=meeting.id, participant=person.id, present=False)))
    assert await Attendance.count() == 1


async def test_a_coach_is_assigned_to_a_group_once():
    coach = await make_user("coach")
    group = await make_group(coaches=[coach])
    assert await refused(GroupCoach.insert(GroupCoach(group=group.id, coach=coach.id)))
    assert await GroupCoach.count() == 1


async def test_values_inside_the_ranges_are_accepted():
    group = await make_group(usual_duration_minutes=1440, assessment_interval_weeks=52)
    person = await make_participant(group, birth_year=1900)
    await Participant.update({Participant.exited_on: person.enrolled_on}).where(
        Participant.id == person.id)
    assert (await Participant.select(Participant.exited_on).first())["exited_on"] == \
        person.enrolled_on
