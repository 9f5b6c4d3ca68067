"""Scoped lookups and guards: each actor sees only their own records; others are 404."""

from __future__ import annotations

import pytest
from litestar.exceptions import NotFoundException

from coach.auth.access import get_group_for, get_participant_for, visible_groups
from coach.auth.actor import Actor
from coach.auth.guards import require_roles
from coach.groups.tables import CoachingGroup
from tests.auth_helpers import sign_in_directly
from tests.factories import make_group, make_participant, make_user


def staff(user, role: str | None = None) -> Actor:
    return Actor(role=role or user.role, user_id=user.id, participant_id=None,
                 username=user.username, label=user.username, language="", session_id=0)


def participant_actor(person) -> Actor:
    return Actor(role="participant", user_id=None, participant_id=person.id,
                 username=f"participant:{person.id}", label="", language="", session_id=0)


async def _world():
    coach_a, coach_b = await make_user("coach_a"), await make_user("coach_b")
    group_a = await make_group("A", coaches=[coach_a])
    group_b = await make_group("B", coaches=[coach_b])
    return coach_a, coach_b, group_a, group_b, await make_participant(group_a), \
        await make_participant(group_b, display_name="Bertta")


async def visible_group_ids(actor: Actor) -> list[int] | None:
    """Return the ids of the groups visible_groups lets the actor see; None for none."""
    visible = visible_groups(actor)
    if visible is None:
        return None
    return sorted(await CoachingGroup.select(CoachingGroup.id).where(visible)
                  .output(as_list=True))


async def test_visible_groups_by_role():
    coach_a, _coach_b, group_a, group_b, person_a, _person_b = await _world()
    admin = await make_user("boss", role="admin")
    evaluator = await make_user("eeva", role="evaluator")
    assert await visible_group_ids(staff(coach_a)) == [group_a.id]
    assert await visible_group_ids(staff(admin)) == sorted([group_a.id, group_b.id])
    assert await visible_group_ids(staff(evaluator)) is None
    assert await visible_group_ids(participant_actor(person_a)) is None


async def test_coach_gets_only_their_own_groups_and_participants():
    coach_a, _coach_b, group_a, group_b, person_a, person_b = await _world()
    assert (await get_group_for(staff(coach_a), group_a.id)).id == group_a.id
    assert (await get_participant_for(staff(coach_a), person_a.id)).id == person_a.id
    with pytest.raises(NotFoundException):
        await get_group_for(staff(coach_a), group_b.id)
    with pytest.raises(NotFoundException):
        await get_participant_for(staff(coach_a), person_b.id)
    with pytest.raises(NotFoundException):
        await get_participant_for(staff(coach_a), 999_999)


async def test_participant_sees_only_themselves():
    *_rest, person_a, person_b = await _world()
    me = participant_actor(person_a)
    assert (await get_participant_for(me, person_a.id)).id == person_a.id
    with pytest.raises(NotFoundException):
        await get_participant_for(me, person_b.id)


async def test_evaluator_sees_no_person_and_admin_sees_all():
    *_rest, person_a, person_b = await _world()
    evaluator = await make_user("eeva", role="evaluator")
    admin = await make_user("boss", role="admin")
    with pytest.raises(NotFoundException):
        await get_participant_for(staff(evaluator), person_a.id)
    assert (await get_participant_for(staff(admin), person_b.id)).id == person_b.id


async def test_coach_gets_404_for_another_groups_participant(client):
    _coach_a, coach_b, _group_a, _group_b, person_a, person_b = await _world()
    await sign_in_directly(client, user=coach_b)
    response = await client.get(f"/participants/{person_a.id}")
    assert response.status_code == 404
    assert person_a.display_name not in response.text
    assert (await client.get(f"/participants/{person_b.id}")).status_code == 200


def test_require_roles_refuses_unknown_roles():
    with pytest.raises(ValueError):
        require_roles("superuser")
    with pytest.raises(ValueError):
        require_roles()


async def test_participant_session_is_refused_where_no_guard_names_participants(client):
    *_rest, person_a, _person_b = await _world()
    await sign_in_directly(client, participant=person_a)
    # /schema has no role guard: staff may read it, a participant's session may not.
    assert (await client.get("/schema/openapi.json")).status_code == 403
    assert (await client.get("/me")).status_code == 200
