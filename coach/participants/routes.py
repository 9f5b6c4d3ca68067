"""A coach's participant pages: add, edit, mark as left, record news, see the timeline."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response

from coach.auth.access import get_group_for, get_participant_for
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import Education, Gender, LabourStatus, UnemploymentDuration
from coach.flash import flash
from coach.forms import text, today
from coach.groups.tables import CoachingGroup
from coach.i18n import gettext as _
from coach.labels import options
from coach.participants import services
from coach.participants.consent import ConsentWithdrawn, has_withdrawn
from coach.participants.tables import Participant, StatusChange
from coach.submissions.requests import repeat_of, submission_of
from coach.submissions.service import Submission, earlier_target, save_once
from coach.web import page, wants_fragment

coach_or_admin = require_roles("coach", "admin")
FORM = "participants/form.html"
PAGE = "participants/detail.html"
LEAVE = "participants/leave.html"
REMOVE = "participants/news_delete.html"


def error_status(request: Request) -> int:
    # htmx 2 does not swap 4xx responses, so it gets the form with its errors as a 200.
    return 200 if request.htmx else 422


async def find(request: Request, participant_id: int) -> tuple[Participant, CoachingGroup]:
    """Return a participant the actor coaches (or any, for an admin) and their group."""
    participant = await get_participant_for(request.user, participant_id)
    if participant.erased_at is not None or request.user.role not in ("coach", "admin"):
        raise NotFoundException()
    return participant, await get_group_for(request.user, participant.group)


def closed_group(request: Request, group: CoachingGroup) -> Redirect:
    """Send the coach back to a closed group's page, saying that it takes no one new."""
    flash(request, _("The group is closed: it takes no new participants."), "error")
    return Redirect(request.app.route_reverse("group", group_id=group.id), status_code=303)


def go_to(request: Request, participant: Participant) -> Redirect:
    return Redirect(request.app.route_reverse("participant", participant_id=participant.id),
                    status_code=303)


def form_context(request: Request, group: CoachingGroup, form: dict[str, Any],
                 errors: dict[str, str], participant: Participant | None) -> dict[str, Any]:
    if participant is None:
        action = request.app.route_reverse("participant_create", group_id=group.id)
    else:
        action = request.app.route_reverse("participant_update", participant_id=participant.id)
    return {
        "group": group, "participant": participant, "form": form, "errors": errors,
        "action": action, "adding": participant is None, "today": today(),
        "gender_options": options(Gender), "education_options": options(Education),
        "status_options": options(LabourStatus),
        "duration_options": options(UnemploymentDuration),
    }


def submitted(data) -> dict[str, str]:
    names = services.PARTICIPANT_FIELDS + services.CONSENT_FIELDS
    return {name: text(data, name) for name in [*names, "submission_key"]}


@get("/groups/{group_id:int}/participants/new", name="participant_new",
     guards=[coach_or_admin])
async def new_participant(request: Request, group_id: FromPath[int]) -> Response:
    """Show the form to add a participant, enrolled and consenting today by default."""
    group = await get_group_for(request.user, group_id)
    if group.closed_at is not None:
        return closed_group(request, group)
    day = min(max(today(), group.starts_on), group.ends_on).isoformat()
    form = {"enrolled_on": day, "consent_given_on": today().isoformat()}
    return page(request, FORM, form_context(request, group, form, {}, None), block="form")


@post("/groups/{group_id:int}/participants/new", name="participant_create",
      guards=[coach_or_admin])
async def create_participant(request: Request, group_id: FromPath[int]) -> Response:
    """Add a participant with their consent record and status at entry."""
    group = await get_group_for(request.user, group_id)
    if group.closed_at is not None:
        return closed_group(request, group)
    data = await request.form()
    submission = await submission_of(request)
    if repeat := await repeat_of(request, submission, _("Participant added.")):
        return repeat
    cleaned, errors = services.validate_participant(data, group, today(), adding=True)
    if errors and (repeat := await repeat_of(request, submission, _("Participant added."))):
        return repeat
    if errors or (request.htmx and data.get("validate_only")):
        status = 200 if data.get("validate_only") else error_status(request)
        context = form_context(request, group, submitted(data), errors, None)
        return page(request, FORM, context, block="form", status_code=status)

    async def write() -> str:
        participant = await services.add_participant(group, cleaned, request.user.user_id)
        await audit(request, "participant.create", "participant", participant.id,
                    {"group": group.id, "consent_version": cleaned["consent_version"]})
        return request.app.route_reverse("participant", participant_id=participant.id)

    # A double tap on Save adds the person once; the repeat lands on the same page.
    target, _repeated = await save_once(submission, write)
    flash(request, _("Participant added."), "success")
    return Redirect(target, status_code=303)


@get("/participants/{participant_id:int}", name="participant", guards=[coach_or_admin])
async def participant_page(request: Request, participant_id: FromPath[int]) -> Response:
    """Show a participant's status, attendance and scores over time."""
    participant, group = await find(request, participant_id)
    await audit(request, "participant.view", "participant", participant.id)
    return await show_page(request, participant, group, {}, {})


async def show_page(request: Request, participant: Participant, group: CoachingGroup,
                    news_form: dict[str, str], errors: dict[str, str], *, saved: bool = False,
                    removed: bool = False, refused: bool = False,
                    status_code: int = 200) -> Response:
    context = {
        "participant": participant, "group": group, "today": today(),
        **await services.participant_overview(participant, today()),
        "news_form": news_form or {"effective_on": today().isoformat()},
        "errors": errors, "saved": saved, "removed": removed, "refused": refused,
        "status_options": options(LabourStatus),
        "LabourStatus": LabourStatus,
    }
    return page(request, PAGE, context, block="news", status_code=status_code)


async def saved_before(submission: Submission | None) -> bool:
    """Say whether this entry (its submission key) was already saved."""
    return submission is not None and await earlier_target(submission) is not None


async def save_news(request: Request, participant: Participant, cleaned: dict[str, Any],
                    submission: Submission | None) -> None:
    """Save news once, in one transaction with its audit event and its submission key.

    An "unlink" erasure at the same moment comes wholly before (this write refers to a
    removed row: 409) or after (it scrubs the entry's id from this event too), never
    between the two. A withdrawn consent (also one given at this moment) refuses it with
    409 and the reason; the page offers no news form then, so only an older page or a
    script gets there.
    """
    async def write() -> str:
        change = await services.record_news(participant, cleaned["status"],
                                            cleaned["effective_on"], request.user.user_id)
        await audit(request, "participant.news", "participant", participant.id,
                    {"status": cleaned["status"],
                     "effective_on": cleaned["effective_on"].isoformat(),
                     "status_change": change.id})
        return request.app.route_reverse("participant", participant_id=participant.id)

    await save_once(submission, write)


@post("/participants/{participant_id:int}/news", name="participant_news",
      guards=[coach_or_admin])
async def record_news(request: Request, participant_id: FromPath[int]) -> Response:
    """Record a new labour-market status; htmx gets the updated timeline in place."""
    participant, group = await find(request, participant_id)
    data = await request.form()
    # The same entry sent again (a double tap, a phone's queue after a lost answer) gets
    # the first answer, before the checks: its own first save would refuse it as a repeat.
    submission = await submission_of(request)
    if not await saved_before(submission):
        cleaned, errors = services.validate_news(data, participant, today())
        # A failed check may be a repeat saved meanwhile (the checks saw its news).
        if errors and not await saved_before(submission):
            form = {"status": text(data, "status"), "effective_on": text(data, "effective_on"),
                    "submission_key": text(data, "submission_key")}
            return await show_page(request, participant, group, form, errors,
                                   status_code=error_status(request))
        if not errors:
            await save_news(request, participant, cleaned, submission)
    if wants_fragment(request):
        return await show_page(request, participant, group, {}, {}, saved=True)
    flash(request, _("News saved."), "success")
    return go_to(request, participant)


async def find_entry(request: Request, participant_id: int,
                     entry_id: int) -> tuple[Participant, CoachingGroup, StatusChange]:
    """Return the participant, their group and one entry of their status history."""
    participant, group = await find(request, participant_id)
    return participant, group, await services.get_news_entry(participant, entry_id)


def remove_page(request: Request, participant: Participant, group: CoachingGroup,
                entry: StatusChange, *, refused: bool, status_code: int = 200) -> Response:
    context = {"participant": participant, "group": group, "entry": entry, "refused": refused,
               "LabourStatus": LabourStatus}
    return page(request, REMOVE, context, block="content", status_code=status_code)


@get("/participants/{participant_id:int}/news/{entry_id:int}/delete",
     name="participant_news_delete_confirm", guards=[coach_or_admin])
async def confirm_remove_news(request: Request, participant_id: FromPath[int],
                              entry_id: FromPath[int]) -> Response:
    """Ask before removing a mistaken status entry (the step that needs no JavaScript)."""
    participant, group, entry = await find_entry(request, participant_id, entry_id)
    await audit(request, "participant.view", "participant", participant.id,
                {"page": "news.delete"})
    return remove_page(request, participant, group, entry,
                       refused=await services.is_entry_status(entry))


@post("/participants/{participant_id:int}/news/{entry_id:int}/delete",
      name="participant_news_delete", guards=[coach_or_admin])
async def remove_news(request: Request, participant_id: FromPath[int],
                      entry_id: FromPath[int]) -> Response:
    """Remove a mistaken status entry; htmx gets the updated timeline in place."""
    participant, group, entry = await find_entry(request, participant_id, entry_id)
    inline = wants_fragment(request)
    if not await services.remove_news(entry):
        if inline:
            return await show_page(request, participant, group, {}, {}, refused=True)
        return remove_page(request, participant, group, entry, refused=True, status_code=409)
    # The status and date say what was corrected; the name stays out of the log.
    await audit(request, "participant.news.delete", "participant", participant.id,
                {"status": entry.status, "effective_on": entry.effective_on.isoformat(),
                 "status_change": entry.id})
    if inline:
        return await show_page(request, participant, group, {}, {}, removed=True)
    flash(request, _("Entry removed."), "success")
    return go_to(request, participant)


@get("/participants/{participant_id:int}/edit", name="participant_edit",
     guards=[coach_or_admin])
async def edit_participant(request: Request, participant_id: FromPath[int]) -> Response:
    """Show a participant's details for editing."""
    participant, group = await find(request, participant_id)
    if has_withdrawn(participant):
        flash(request, _("Consent has been withdrawn, so the details are no longer changed."),
              "error")
        return go_to(request, participant)
    await audit(request, "participant.view", "participant", participant.id, {"page": "edit"})
    context = form_context(request, group, services.form_values(participant), {}, participant)
    return page(request, FORM, context, block="form")


@post("/participants/{participant_id:int}/edit", name="participant_update",
      guards=[coach_or_admin])
async def update_participant(request: Request, participant_id: FromPath[int]) -> Response:
    """Save a participant's edited details."""
    participant, group = await find(request, participant_id)
    if has_withdrawn(participant):
        raise ConsentWithdrawn([participant.display_name])
    data = await request.form()
    cleaned, errors = services.validate_participant(data, group, today(), adding=False)
    errors = errors or await services.check_edit(participant, cleaned)
    if errors or (request.htmx and data.get("validate_only")):
        status = 200 if data.get("validate_only") else error_status(request)
        context = form_context(request, group, submitted(data), errors, participant)
        return page(request, FORM, context, block="form", status_code=status)
    changed = await services.update_participant(participant, cleaned)
    if changed:
        await audit(request, "participant.update", "participant", participant.id,
                    {"fields": sorted(changed)})
    flash(request, _("Details saved."), "success")
    return go_to(request, participant)


@get("/participants/{participant_id:int}/leave", name="participant_leave",
     guards=[coach_or_admin])
async def leave_form(request: Request, participant_id: FromPath[int]) -> Response:
    """Show the form to mark a participant as having left the group."""
    participant, group = await find(request, participant_id)
    # The page shows the name and the exit reason: a view of personal data, like the others.
    await audit(request, "participant.view", "participant", participant.id, {"page": "leave"})
    form = {"exited_on": today().isoformat(), "exit_reason": participant.exit_reason or ""}
    return page(request, LEAVE, {"participant": participant, "group": group, "form": form,
                                 "errors": {}}, block="form")


@post("/participants/{participant_id:int}/leave", name="participant_mark_left",
      guards=[coach_or_admin])
async def mark_left(request: Request, participant_id: FromPath[int]) -> Response:
    """Record the exit date and reason."""
    participant, group = await find(request, participant_id)
    data = await request.form()
    cleaned, errors = services.validate_exit(data, participant, today())
    if errors:
        form = {"exited_on": text(data, "exited_on"), "exit_reason": text(data, "exit_reason")}
        return page(request, LEAVE, {"participant": participant, "group": group, "form": form,
                                     "errors": errors}, block="form",
                    status_code=error_status(request))
    # One transaction with its audit event: an erasure at the same moment comes wholly
    # before (then the person is gone: 404) or after.
    async with Participant._meta.db.transaction():
        if not await services.mark_left(participant, cleaned["exited_on"],
                                        cleaned["exit_reason"]):
            raise NotFoundException()
        await audit(request, "participant.leave", "participant", participant.id,
                    {"exited_on": cleaned["exited_on"].isoformat()})
    flash(request, _("Marked as left."), "success")
    return go_to(request, participant)


ROUTES = [new_participant, create_participant, participant_page, record_news,
          confirm_remove_news, remove_news,
          edit_participant, update_participant, leave_form, mark_left]
