"""Scoped lookups: every query returns only what the actor may see; anything else is 404."""

from __future__ import annotations

from litestar.exceptions import NotFoundException

from coach.auth.actor import Actor
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.participants.tables import Participant


async def visible_group_ids(actor: Actor) -> list[int]:
    """Return the ids of the groups the actor may see: admin all, a coach their own."""
    if actor.role == "admin":
        rows = await CoachingGroup.select(CoachingGroup.id)
        return [row["id"] for row in rows]
    if actor.role == "coach" and actor.user_id is not None:
        rows = await GroupCoach.select(GroupCoach.group).where(
            GroupCoach.coach == actor.user_id
        )
        return sorted({row["group"] for row in rows})
    return []


async def can_see_group(actor: Actor, group_id: int) -> bool:
    if actor.role == "admin":
        return await CoachingGroup.exists().where(CoachingGroup.id == group_id)
    if actor.role == "coach" and actor.user_id is not None:
        return await GroupCoach.exists().where(
            (GroupCoach.coach == actor.user_id) & (GroupCoach.group == group_id)
        )
    return False


def coached_by(user_id: int):
    """A sub-select of the ids of the groups a coach coaches (to filter in the same query)."""
    return GroupCoach.select(GroupCoach.group).where(GroupCoach.coach == user_id)


async def get_group_for(actor: Actor, group_id: int) -> CoachingGroup:
    """Return the group if the actor may see it (one statement: the check is in the query)."""
    query = CoachingGroup.objects().where(CoachingGroup.id == group_id)
    if actor.role == "coach" and actor.user_id is not None:
        query = query.where(CoachingGroup.id.is_in(coached_by(actor.user_id)))
    elif actor.role != "admin":
        raise NotFoundException()
    group = await query.first()
    if group is None:
        raise NotFoundException()
    return group


async def get_participant_for(actor: Actor, participant_id: int) -> Participant:
    """Return the participant if the actor may see them: themselves, their coach, an admin."""
    query = Participant.objects().where(Participant.id == participant_id)
    if actor.role == "participant":
        if actor.participant_id != participant_id:
            raise NotFoundException()
    elif actor.role == "coach" and actor.user_id is not None:
        query = query.where(Participant.group.is_in(coached_by(actor.user_id)))
    elif actor.role != "admin":
        raise NotFoundException()
    participant = await query.first()
    if participant is None or participant.erased_at is not None:
        # An erased participant's record holds nothing to show; what is kept is unlinked.
        raise NotFoundException()
    return participant
