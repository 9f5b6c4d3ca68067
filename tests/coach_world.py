"""The people of the coach-facing route tests: two groups, their coaches and the other roles."""

from __future__ import annotations

from dataclasses import dataclass

from coach.accounts.tables import User
from coach.groups.tables import CoachingGroup
from coach.participants.tables import Participant
from tests.auth_helpers import sign_in_directly
from tests.factories import make_group, make_participant, make_user


@dataclass
class World:
    coach: User  # coaches `group`
    other_coach: User  # coaches `other_group` only
    admin: User
    evaluator: User
    group: CoachingGroup
    other_group: CoachingGroup
    anna: Participant
    ben: Participant
    stranger: Participant  # in other_group


async def make_world() -> World:
    """Create two groups with a coach each, an admin, an evaluator and three participants."""
    coach = await make_user("coach", display_name="Coach")
    other_coach = await make_user("other", display_name="Other coach")
    admin = await make_user("admin", role="admin")
    evaluator = await make_user("evaluator", role="evaluator")
    group = await make_group("Ryhmä A", coaches=[coach], usual_duration_minutes=75)
    other_group = await make_group("Ryhmä B", coaches=[other_coach])
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben", gender="male")
    stranger = await make_participant(other_group, display_name="Stranger")
    return World(coach, other_coach, admin, evaluator, group, other_group, anna, ben, stranger)


async def sign_in(client, user: User | None = None, participant: Participant | None = None):
    """Give the client a signed-in session (fast path), a CSRF header, and English pages."""
    client.headers["accept-language"] = "en"
    await sign_in_directly(client, user=user, participant=participant)


HTMX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def is_fragment(response) -> bool:
    """Say whether a response is a piece of a page (what htmx swaps in), not a whole page."""
    return "<html" not in response.text and "<body" not in response.text


async def audit_actions(action: str) -> list[dict]:
    """Return the audit events with this action, oldest first."""
    from coach.audit.tables import AuditEvent

    query = AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    return await query.output(load_json=True)
