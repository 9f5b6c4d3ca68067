"""Log, edit and delete a group meeting; toggle one person's attendance."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response

from coach.auth.access import get_group_for
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import Theme
from coach.flash import flash
from coach.forms import Invalid, parse_id, text, today
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.labels import options
from coach.meetings import services
from coach.meetings.tables import Meeting
from coach.submissions.requests import repeat_of, submission_of
from coach.submissions.service import save_once
from coach.web import page

coach_or_admin = require_roles("coach", "admin")
FORM = "meetings/form.html"
# The "asks once" questions: a post that answered one carries the answer along while
# another one is still asked, so no question comes twice.
CONFIRMATIONS = ("confirm_same_day", "confirm_nobody_present")


def submitted(data: FormMultiDict) -> dict[str, Any]:
    """Return the form as typed, to show it again."""
    return {"held_on": text(data, "held_on"), "duration_minutes": text(data, "duration_minutes"),
            "themes": data.getall("themes", []), "present": data.getall("present", []),
            "private_note": text(data, "private_note"), "version": text(data, "version"),
            "submission_key": text(data, "submission_key")}


def error_status(request: Request) -> int:
    # htmx 2 does not swap 4xx responses, so it gets the form with its errors as a 200.
    return 200 if request.htmx else 422


async def show_form(request: Request, group: CoachingGroup, form: dict[str, Any],
                    people: list[dict[str, Any]], *, meeting: Meeting | None = None,
                    errors: dict[str, str] | None = None, same_day: bool = False,
                    nobody: bool = False, answered: list[str] | None = None,
                    conflict: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    if meeting is None:
        action = request.app.route_reverse("meeting_create", group_id=group.id)
    else:
        action = request.app.route_reverse("meeting_update", meeting_id=meeting.id)
    context = {"group": group, "meeting": meeting, "form": form, "roster": people,
               "errors": errors or {}, "same_day": same_day, "nobody": nobody,
               "answered": answered or [], "conflict": conflict,
               "action": action,
               "theme_options": options(Theme), "today_iso": today().isoformat()}
    return page(request, FORM, context, block="meeting_form", status_code=status_code)


async def save_or_show(request: Request, group: CoachingGroup,
                       meeting: Meeting | None) -> tuple[dict[str, Any] | None, Response | None]:
    """Validate a posted meeting; return its values, or the response that shows the form."""
    data = await request.form()
    form = submitted(data)
    cleaned, errors = services.validate_meeting(data, form["themes"], form["present"], group,
                                                today())
    people, errors = await services.posted_roster(group, meeting, cleaned, errors, today())
    if errors or (request.htmx and data.get("validate_only")):
        status = 200 if data.get("validate_only") else error_status(request)
        return None, await show_form(request, group, form, people, meeting=meeting,
                                     errors=errors, status_code=status)
    others = await services.same_day_count(group.id, cleaned["held_on"],
                                           meeting.id if meeting else None)
    same_day = bool(others) and not data.get("confirm_same_day")
    nobody = (services.nobody_ticked(cleaned["present"], people)
              and not data.get("confirm_nobody_present"))
    if same_day or nobody:
        answered = [name for name in CONFIRMATIONS if data.get(name)]
        return None, await show_form(request, group, form, people, meeting=meeting,
                                     same_day=same_day, nobody=nobody, answered=answered,
                                     status_code=200)
    return cleaned, None


def audit_detail(group: CoachingGroup, cleaned: dict[str, Any]) -> dict[str, Any]:
    return {"group": group.id, "held_on": cleaned["held_on"].isoformat(),
            "present": sorted(cleaned["present"])}


@get("/groups/{group_id:int}/meetings/new", name="meeting_new", guards=[coach_or_admin])
async def new_meeting(request: Request, group_id: FromPath[int]) -> Response:
    """Show "Log a meeting" with today's date and the group's usual length."""
    group = await get_group_for(request.user, group_id)
    people = await services.roster(group.id, today())
    await audit(request, "group.view", "group", group.id, {"page": "meeting_new"})
    return await show_form(request, group, services.new_form(group, today()), people)


@post("/groups/{group_id:int}/meetings/new", name="meeting_create", guards=[coach_or_admin])
async def create_meeting(request: Request, group_id: FromPath[int]) -> Response:
    """Save a new meeting with its attendance, then go back to the group."""
    group = await get_group_for(request.user, group_id)
    submission = await submission_of(request)
    # A repeat answers as the first save did; its meeting would make the checks ask
    # "a second meeting on this day?".
    if repeat := await repeat_of(request, submission, _("Meeting saved.")):
        return repeat
    cleaned, response = await save_or_show(request, group, None)
    if cleaned is None:
        return await repeat_of(request, submission, _("Meeting saved.")) or response

    async def write() -> str:
        meeting = await services.create_meeting(group.id, cleaned, request.user.user_id)
        await audit(request, "meeting.create", "meeting", meeting.id,
                    audit_detail(group, cleaned))
        return request.app.route_reverse("group", group_id=group.id)

    # A double tap, or the phone's queue sending again after a lost answer, saves once.
    target, _repeated = await save_once(submission, write)
    flash(request, _("Meeting saved."), "success")
    return Redirect(target, status_code=303)


@get("/meetings/{meeting_id:int}/edit", name="meeting_edit", guards=[coach_or_admin])
async def edit_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    """Show a saved meeting for editing."""
    meeting, group = await services.get_meeting_for(request.user, meeting_id)
    people = await services.meeting_roster(meeting)
    await audit(request, "meeting.view", "meeting", meeting.id, {"group": group.id})
    return await show_form(request, group, await services.form_of(meeting), people,
                           meeting=meeting)


@post("/meetings/{meeting_id:int}/edit", name="meeting_update", guards=[coach_or_admin])
async def update_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    """Save changes to a meeting, unless someone saved it after the form was shown."""
    meeting, group = await services.get_meeting_for(request.user, meeting_id)
    cleaned, response = await save_or_show(request, group, meeting)
    if cleaned is None:
        return response
    data = await request.form()
    # Every edit form the app renders carries its version. A post without it (a page
    # opened before this check existed, a script) cannot say what it saw, so it gets the
    # conflict page with the saved values and a version to save deliberately.
    version = services.read_version(text(data, "version"))
    if version is None or not await services.update_meeting(meeting, cleaned, version,
                                                            request.user.user_id):
        return await show_conflict(request, group, meeting.id, data, cleaned)
    await audit(request, "meeting.update", "meeting", meeting.id, audit_detail(group, cleaned))
    flash(request, _("Meeting saved."), "success")
    return Redirect(request.app.route_reverse("group", group_id=group.id), status_code=303)


async def show_conflict(request: Request, group: CoachingGroup, meeting_id: int,
                        data: FormMultiDict, cleaned: dict[str, Any]) -> Response:
    """Show the refused form: what the other person saved, the coach's entries kept."""
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFoundException()  # deleted meanwhile
    # The fresh version lets a deliberate second save replace what is shown.
    form = {**submitted(data), "version": str(meeting.version)}
    conflict = await services.conflict_report(meeting, cleaned)
    people = await services.meeting_roster(meeting)
    # htmx 2 does not swap 4xx responses, so a boosted form gets the conflict as a 200.
    status = 200 if request.htmx else 409
    return await show_form(request, group, form, people, meeting=meeting, conflict=conflict,
                           status_code=status)


@post("/meetings/{meeting_id:int}/attendance", name="meeting_attendance",
      guards=[coach_or_admin])
async def toggle_attendance(request: Request, meeting_id: FromPath[int]) -> Response:
    """Mark one participant present or absent at once (the toggles of the edit page)."""
    meeting, group = await services.get_meeting_for(request.user, meeting_id)
    data = await request.form()
    try:
        participant_id = parse_id(text(data, "participant"))
    except Invalid:
        return Response(_("Choose from the list."), status_code=400)
    present = str(participant_id) in data.getall("present", [])
    shown = services.read_version(text(data, "version"))
    if not await services.set_attendance(meeting, participant_id, present,
                                         request.user.user_id):
        return Response(_("Choose from the list."), status_code=400)
    await audit(request, "meeting.attendance", "meeting", meeting.id,
                {"group": group.id, "participant": participant_id, "present": present})
    if not request.htmx:
        flash(request, _("Attendance saved."), "success")
        edit = request.app.route_reverse("meeting_edit", meeting_id=meeting.id)
        return Redirect(edit, status_code=303)
    people = await services.meeting_roster(meeting)
    person = next((row for row in people if row["id"] == participant_id),
                  {"id": participant_id, "display_name": ""})
    form = {"present": [str(participant_id)] if present else []}
    # The page may move on to the new version only if this tick was the one change since
    # the version it shows; otherwise its next save must still see the other changes.
    in_step = shown is not None and meeting.version == shown + 1
    return page(request, FORM, {"group": group, "meeting": meeting, "person": person,
                                "form": form, "saved": True,
                                "new_version": meeting.version if in_step else None},
                block="toggle")


@get("/meetings/{meeting_id:int}/delete", name="meeting_delete_confirm",
     guards=[coach_or_admin])
async def confirm_delete(request: Request, meeting_id: FromPath[int]) -> Response:
    """Ask before deleting a meeting."""
    meeting, group = await services.get_meeting_for(request.user, meeting_id)
    return page(request, "meetings/delete.html", {"group": group, "meeting": meeting},
                block="content")


@post("/meetings/{meeting_id:int}/delete", name="meeting_delete", guards=[coach_or_admin])
async def delete_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    """Delete a meeting and its attendance."""
    meeting, group = await services.get_meeting_for(request.user, meeting_id)
    await services.delete_meeting(meeting)
    await audit(request, "meeting.delete", "meeting", meeting.id,
                {"group": group.id, "held_on": meeting.held_on.isoformat()})
    flash(request, _("Meeting deleted."), "success")
    return Redirect(request.app.route_reverse("group", group_id=group.id), status_code=303)


ROUTES = [new_meeting, create_meeting, edit_meeting, update_meeting, toggle_attendance,
          confirm_delete, delete_meeting]
