"""The signed-in staff member's front page: their groups and what to do next."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response

from coach.assessments.care import care_steps, mark_done
from coach.auth.access import get_participant_for
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.flash import flash
from coach.forms import Invalid, parse_id, today
from coach.home.services import home_groups
from coach.i18n import gettext as _
from coach.paging import status_of
from coach.participants.consent import erasure_queue_length
from coach.ui import url
from coach.web import page


@get("/", name="home", guards=[require_roles("coach", "admin", "evaluator", "participant")])
async def home(request: Request,
               q: Annotated[str | None, QueryParameter(name="q")] = None,
               asked: Annotated[str | None, QueryParameter(name="page")] = None
               ) -> Response:
    """List the actor's open groups, each with its next steps; the others by name, paged."""
    if request.user.role == "participant":
        # The logo links here; a participant's front page is their own.
        return Redirect(request.app.route_reverse("participant.home"), status_code=303)
    # An admin may have thousands of other groups: 50 names a page, searchable.
    groups, others = await home_groups(request.user, today(), q, asked)
    # Evaluators have no groups here, so they never see a care step.
    steps = await care_steps([group["id"] for group in groups])
    for group in groups:
        group["care"] = steps[group["id"]]
    if groups:
        await audit(request, "home.view", "group", None,
                    {"groups": [group["id"] for group in groups]})
    # An admin sees how many people wait for their data to be erased.
    waiting = await erasure_queue_length() if request.user.role == "admin" else None
    return page(request, "home/index.html",
                {"groups": groups, "earlier": others.items, "others": others,
                 "today": today(), "erasure_waiting": waiting}, block="groups",
                status_code=status_of(others))


@post("/participants/{participant_id:int}/care/done", name="care.done",
      guards=[require_roles("coach", "admin")], include_in_schema=False, status_code=303)
async def care_done(request: Request, participant_id: FromPath[int]) -> Redirect:
    """Mark "talk with them" done after a low or fallen wellbeing check."""
    participant = await get_participant_for(request.user, participant_id)
    form = await request.form()
    try:
        assessment_id = parse_id(str(form.get("assessment") or ""))
    except Invalid:
        assessment_id = None
    reason = None
    if assessment_id is not None:
        reason = await mark_done(participant.id, assessment_id, request.user.user_id)
    if reason is None:
        flash(request, _("This step was already done or has changed."), "error")
    else:
        await audit(request, "care.done", "participant", participant.id,
                    {"assessment": assessment_id, "reason": reason})
        flash(request, _("Marked as done."), "success")
    return Redirect(url(request, "home") or "/", status_code=303)


ROUTES = [home, care_done]
