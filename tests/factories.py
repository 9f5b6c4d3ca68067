"""Small factories for test data. Passwords are hashed once per value and cached."""

from __future__ import annotations

import datetime as dt
from functools import cache

from coach.accounts.passwords import hash_password
from coach.accounts.tables import User
from coach.assessments.services import save_check
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.choices import AssessmentMode
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.paging import fold
from coach.participants.tables import Participant, StatusChange

DEFAULT_PASSWORD = "correct horse battery staple 42"


@cache
def _hash(password: str) -> str:
    return hash_password(password)


async def make_user(
    username: str, role: str = "coach", password: str = DEFAULT_PASSWORD, **fields
) -> User:
    user = User(
        username=username,
        display_name=fields.pop("display_name", username),
        password_hash=_hash(password),
        role=role,
        created_at=now(),
        **fields,
    )
    await user.save()
    return user


async def make_group(
    name: str = "Ryhmä A",
    coaches: list[User] | None = None,
    starts_on: dt.date | None = None,
    weeks: int = 52,
    **fields,
) -> CoachingGroup:
    starts_on = starts_on or dt.date.today() - dt.timedelta(weeks=8)
    group = CoachingGroup(
        name=name,
        name_folded=fold(name),
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(weeks=weeks),
        created_at=now(),
        **fields,
    )
    await group.save()
    for coach in coaches or []:
        await GroupCoach(group=group.id, coach=coach.id).save()
    return group


async def make_participant(
    group: CoachingGroup, display_name: str = "Anna", consent: bool = True, **fields
) -> Participant:
    values = dict(
        group=group.id,
        display_name=display_name,
        birth_year=1980,
        gender="female",
        education="basic",
        status_at_entry="unemployed",
        unemployed_for="over_24",
        enrolled_on=group.starts_on,
        created_at=now(),
    )
    if consent:
        values.update(consent_given_on=group.starts_on, consent_version="1.0")
    values.update(fields)
    participant = Participant(**values)
    await participant.save()
    await StatusChange(
        participant=participant.id,
        status=values["status_at_entry"],
        effective_on=values["enrolled_on"],
        recorded_at=now(),
    ).save()
    return participant


async def save_assessment(
    participant_id: int,
    instrument_id: str,
    answers: dict,
    *,
    mode: AssessmentMode,
    recorded_by: int | None = None,
    taken_on: dt.date | None = None,
) -> Assessment | None:
    """Save a check of one instrument (save_check); None if it was just stored already."""
    rows = await save_check(participant_id, {instrument_id: answers}, mode=mode,
                            recorded_by=recorded_by, taken_on=taken_on)
    return rows[0] if rows else None
