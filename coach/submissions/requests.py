"""The submission key of a request's form, scoped to who is asking."""

from __future__ import annotations

from litestar import Request
from litestar.response import Redirect

from coach.auth.actor import Actor
from coach.flash import flash
from coach.submissions.service import (
    Submission,
    earlier_target,
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


async def repeat_of(request: Request, submission: Submission | None,
                    saved_message: str) -> Redirect | None:
    """If this entry was saved already, answer as its first save did: the same message and
    the same page. Routes ask before their checks (which would see the first save's row and
    refuse or question the repeat) and again when the checks fail (a repeat may have been
    saved meanwhile)."""
    if submission is None:
        return None
    target = await earlier_target(submission)
    if target is None:
        return None
    flash(request, saved_message, "success")
    return Redirect(target, status_code=303)
