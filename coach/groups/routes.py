"""The group page a coach sees: people, meetings, attendance, jobs and latest scores."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Response

from coach.auth.access import get_group_for
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import LabourStatus
from coach.forms import today
from coach.groups.services import group_overview
from coach.web import page

coach_or_admin = require_roles("coach", "admin")


@get("/groups/{group_id:int}", name="group", guards=[coach_or_admin])
async def group_page(request: Request, group_id: FromPath[int]) -> Response:
    """Show one group to its coach or an admin."""
    group = await get_group_for(request.user, group_id)
    overview = await group_overview(group, today())
    await audit(request, "group.view", "group", group.id)
    return page(request, "groups/detail.html",
                {"group": group, **overview, "LabourStatus": LabourStatus},
                block="participants")


ROUTES = [group_page]
