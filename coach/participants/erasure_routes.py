"""The admin's page for erasing a participant who withdrew consent."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from coach.auth.access import get_participant_for
from coach.auth.actor import Actor
from coach.auth.audit import audit, client_ip
from coach.auth.guards import require_roles
from coach.flash import flash
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.participants.erasure import (
    ErasureRefused,
    ParticipantGone,
    erase_participant,
    may_erase,
    notes_naming,
)
from coach.ui import url

admin_only = require_roles("admin")


@get(
    "/admin/participants/{participant_id:int}/erase",
    name="participant.erase",
    guards=[admin_only],
    include_in_schema=False,
)
async def erase_page(request: Request, participant_id: FromPath[int]) -> Template:
    """Explain what erasing does, and list the meeting notes that still name the person."""
    participant = await get_participant_for(request.user, participant_id)
    group = await CoachingGroup.objects().get(CoachingGroup.id == participant.group)
    allowed = may_erase(participant)
    await audit(request, "participant.erase.view", "participant", participant.id)
    return Template(
        "erasure/confirm.html",
        context={
            "participant": participant,
            "group": group,
            "allowed": allowed,
            "mode": request.app.state["settings"].erasure_mode,
            "notes": await notes_naming(participant) if allowed else [],
        },
    )


@post(
    "/admin/participants/{participant_id:int}/erase",
    name="participant.erase.submit",
    guards=[admin_only],
    include_in_schema=False,
    status_code=303,
)
async def erase(request: Request, participant_id: FromPath[int]) -> Response:
    """Erase the participant as COACH_ERASURE_MODE says; the erasure audits itself."""
    actor: Actor = request.user
    participant = await get_participant_for(actor, participant_id)
    try:
        await erase_participant(
            participant.id,
            request.app.state["settings"].erasure_mode,
            actor_user_id=actor.user_id,
            actor_label=actor.audit_label,
            ip=client_ip(request),
        )
    except ParticipantGone:
        raise NotFoundException() from None  # erased at the same moment by someone else
    except ErasureRefused:
        flash(
            request, _("This participant cannot be erased: their consent is still valid."), "error"
        )
        return Redirect(
            url(request, "participant.erase", participant_id=participant_id) or "/", status_code=303
        )
    flash(request, _("The participant's data has been erased."), "success")
    return Redirect(url(request, "group", group_id=participant.group) or "/", status_code=303)


ROUTES = [erase_page, erase]
