"""The group page a coach sees: people, meetings, attendance, jobs and latest scores."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Response

from coach.auth.access import get_group_for
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import LabourStatus
from coach.forms import today
from coach.groups.services import MEETINGS_PER_PAGE, group_overview, meetings_page
from coach.meetings.tables import Meeting
from coach.paging import page_count, read_page
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


@get("/groups/{group_id:int}/meetings", name="group_meetings", guards=[coach_or_admin])
async def group_meetings(request: Request, group_id: FromPath[int],
                         asked: Annotated[str | None, QueryParameter(name="page")] = None
                         ) -> Response:
    """List all of a group's meetings, newest first, a page at a time."""
    group = await get_group_for(request.user, group_id)
    total = await Meeting.count().where(Meeting.group == group.id)
    pages = page_count(total, MEETINGS_PER_PAGE)
    number = read_page(asked, pages)
    context = {"group": group, "total": total, "pages": pages, "number": number,
               "asked": asked, "meetings": []}
    if number is None:
        # A page past the end (meetings deleted meanwhile, an old bookmark): say so, with
        # the way back to the first page, rather than an empty list or an error.
        return page(request, "groups/meetings.html", context, block="content",
                    status_code=404)
    context["meetings"] = await meetings_page(group.id, number)
    await audit(request, "group.view", "group", group.id, {"page": "meetings"})
    return page(request, "groups/meetings.html", context, block="content")


ROUTES = [group_page, group_meetings]
