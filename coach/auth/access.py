"""Scoped lookups: every query returns only what the actor may see; anything else is 404."""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from piccolo.columns.combination import Combinable

from coach.auth.actor import Actor
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.participants.tables import Participant


def visible_groups(actor: Actor) -> Combinable | None:
    """Return a filter of the groups the actor may see, or None if they may see none."""
    # A filter, not a list of ids: an admin sees thousands, and the query listing them
    # reads only a page.
    if actor.role == "admin":
        return CoachingGroup.id.is_not_null()  # every group
    if actor.role == "coach" and actor.user_id is not None:
        return CoachingGroup.id.is_in(coached_by(actor.user_id))
    return None


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
