"""The signed-in staff member's front page: their groups and what to do next."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Redirect, Response

from coach.auth.access import visible_group_ids
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.forms import today
from coach.groups.services import groups_for_home
from coach.web import page


@get("/", name="home", guards=[require_roles("coach", "admin", "evaluator", "participant")])
async def home(request: Request) -> Response:
    """List the actor's open groups, each with its next steps."""
    if request.user.role == "participant":
        # The logo links here; a participant's front page is their own.
        return Redirect(request.app.route_reverse("participant.home"), status_code=303)
    groups, earlier = await groups_for_home(await visible_group_ids(request.user), today())
    if groups:
        await audit(request, "home.view", "group", None,
                    {"groups": [group["id"] for group in groups]})
    return page(request, "home/index.html",
                {"groups": groups, "earlier": earlier, "today": today()}, block="groups")
