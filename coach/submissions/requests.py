"""The submission key of a request's form, scoped to who is asking."""

from __future__ import annotations

from litestar import Request

from coach.auth.actor import Actor
from coach.submissions.service import (
    Submission,
    from_form,
    participant_actor,
    user_actor,
)


def actor_key(actor: Actor) -> str:
    """Participants (also in "fill in together") own their checks; staff own their entries."""
    if actor.role == "participant" and actor.participant_id is not None:
        return participant_actor(actor.participant_id)
    assert actor.user_id is not None
    return user_actor(actor.user_id)


async def submission_of(request: Request) -> Submission | None:
    """Read the posted form's key (None for a form without one); BadKey if it is malformed."""
    data = await request.form()
    return from_form(actor_key(request.user), list(data.multi_items()))
