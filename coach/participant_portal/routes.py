"""The participant's pages: welcome, the check, progress, my data, withdrawing consent."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from coach.assessments.care import help_contacts, progress_care
from coach.assessments.instruments import AnswerError
from coach.assessments.schedule import current_point
from coach.assessments.services import (
    ConsentError,
    may_collect,
    participant_schedule,
    progress_of,
    save_check,
)
from coach.auth.access import get_participant_for
from coach.auth.actor import Actor
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.choices import (
    AssessmentMode,
    Education,
    Gender,
    LabourStatus,
    UnemploymentDuration,
)
from coach.flash import flash
from coach.forms import today
from coach.i18n import current_language
from coach.i18n import gettext as _
from coach.participant_portal import flow as check_flow
from coach.participant_portal.access_log import PAGE_LIMIT, count_events, readable_log
from coach.participant_portal.chart import chart_for
from coach.participant_portal.services import (
    as_csv,
    as_json,
    my_data,
    readable_assessments,
    withdraw_consent,
)
from coach.participants.tables import Participant
from coach.ui import url

participant_only = require_roles("participant")


async def _me(request: Request) -> tuple[Actor, Participant]:
    actor: Actor = request.user
    return actor, await get_participant_for(actor, actor.participant_id)


def _no_consent(request: Request) -> Template:
    return Template("me/no_consent.html", status_code=403)


@get("/me", name="participant.home", guards=[participant_only], include_in_schema=False)
async def home(request: Request) -> Template:
    """Welcome the participant in plain words and show whether a check is due."""
    actor, participant = await _me(request)
    statuses = await participant_schedule(participant, today())
    await audit(request, "participant.home.view", "participant", participant.id)
    return Template(
        "me/home.html",
        context={
            "participant": participant,
            "actor": actor,
            "collect": may_collect(participant),
            "current": current_point(statuses),
            "instruments": check_flow.start().instruments,
        },
    )


def _screen(flow: check_flow.Flow, error: str | None = None, status: int = 200) -> Template:
    return Template(
        "assess/question.html",
        status_code=status,
        context={
            "flow": flow,
            "step": flow.current,
            "error": error,
            "language": current_language.get(),
        },
    )


@get("/me/check", name="participant.check", guards=[participant_only], include_in_schema=False)
async def check_start(request: Request, only: FromQuery[str | None] = None) -> Response:
    """Show the first question of the check, or of one instrument."""
    _actor, participant = await _me(request)
    if not may_collect(participant):
        return _no_consent(request)
    try:
        flow = check_flow.start(only)
    except check_flow.FlowError:
        return Redirect(url(request, "participant.home") or "/me", status_code=303)
    return _screen(flow)


@post(
    "/me/check",
    name="participant.check.step",
    guards=[participant_only],
    include_in_schema=False,
    status_code=200,
)
async def check_step(request: Request) -> Response:
    """Take one answer (or go back) and show the next screen; nothing is stored."""
    _actor, participant = await _me(request)
    if not may_collect(participant):
        return _no_consent(request)
    form = await request.form()
    try:
        flow = check_flow.from_form(form)
        if form.get("go") == "back":
            if flow.step == 0:
                return Redirect(url(request, "participant.home") or "/me", status_code=303)
            flow.back()
        elif "answer" in form:
            flow.choose(str(form.get("answer")))
    except check_flow.FlowError:
        return Template("assess/broken.html", status_code=400)
    return _screen(flow)


@post(
    "/me/check/save",
    name="participant.check.save",
    guards=[participant_only],
    include_in_schema=False,
    status_code=303,
)
async def check_save(request: Request) -> Response:
    """Store the confirmed check; the server scores it from the answers."""
    actor, participant = await _me(request)
    form = await request.form()
    try:
        flow = check_flow.from_form(form)
    except check_flow.FlowError:
        return Template("assess/broken.html", status_code=400)
    if not flow.confirming:
        return _screen(flow, _("Please answer this question."), status=400)
    together = actor.together
    try:
        rows = await save_check(
            participant.id,
            flow.answers,
            mode=AssessmentMode.together if together else AssessmentMode.invite,
            recorded_by=actor.user_id if together else None,
        )
    except ConsentError:
        return _no_consent(request)
    except AnswerError:
        flow.step = flow.first_unanswered()
        return _screen(flow, _("Please answer this question."), status=400)
    if rows:
        await audit(
            request,
            "assessment.create",
            "participant",
            participant.id,
            {
                "assessments": [row.id for row in rows],
                "mode": rows[0].mode,
            },
        )
    flash(request, _("Thank you! Your answers have been saved."), "success")
    return Redirect(url(request, "participant.progress") or "/me/progress", status_code=303)


@get(
    "/me/progress", name="participant.progress", guards=[participant_only], include_in_schema=False
)
async def progress(request: Request) -> Template:
    """Show each score over time as a chart and a table, with plain words."""
    _actor, participant = await _me(request)
    language = current_language.get()
    series = await progress_of(participant.id, language)
    statuses = await participant_schedule(participant, today())
    await audit(request, "participant.progress.view", "participant", participant.id)
    contacts = help_contacts()
    return Template(
        "me/progress.html",
        context={
            "series": [(entry, chart_for(entry)) for entry in series],
            "current": current_point(statuses),
            "collect": may_collect(participant),
            "care": progress_care(series),
            "contacts": contacts,
            "helplines": contacts.helplines_for(language),
            "language": language,
        },
    )


@get("/me/data", name="participant.data", guards=[participant_only], include_in_schema=False)
async def data_page(request: Request) -> Template:
    """Show everything stored about the participant."""
    actor, participant = await _me(request)
    data = await my_data(participant.id, log_limit=PAGE_LIMIT)
    events = await count_events(participant.id)
    await audit(request, "participant.data.view", "participant", participant.id)
    return Template(
        "me/data.html",
        context={
            "data": data,
            "together": actor.together,
            "assessments": readable_assessments(data, current_language.get()),
            "access_log": readable_log(data["access_log"]),
            "access_count": events,
            "Gender": Gender,
            "Education": Education,
            "LabourStatus": LabourStatus,
            "UnemploymentDuration": UnemploymentDuration,
        },
    )


def _download_allowed(actor: Actor) -> None:
    if actor.together:
        # The file would stay on the coach's phone.
        raise PermissionDeniedException()


@get(
    "/me/data.json",
    name="participant.data.json",
    guards=[participant_only],
    include_in_schema=False,
)
async def data_json(request: Request) -> Response:
    """Download everything stored about the participant as JSON."""
    return await _download(request, "json", as_json, "application/json")


@get(
    "/me/data.csv", name="participant.data.csv", guards=[participant_only], include_in_schema=False
)
async def data_csv(request: Request) -> Response:
    """Download everything stored about the participant as CSV."""
    # A byte order mark so that Excel reads the letters ä and ö right.
    return await _download(request, "csv", lambda data: "\ufeff" + as_csv(data), "text/csv")


async def _download(request: Request, extension: str, render, media_type: str) -> Response:
    """Send the participant's data as a file, audited, never cached."""
    actor, participant = await _me(request)
    _download_allowed(actor)
    data = await my_data(participant.id)
    await audit(
        request, "participant.data.download", "participant", participant.id,
        {"format": extension},
    )
    return Response(
        render(data),
        media_type=f"{media_type}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="my-data.{extension}"',
            "Cache-Control": "no-store",
        },
    )


@get(
    "/me/withdraw", name="participant.withdraw", guards=[participant_only], include_in_schema=False
)
async def withdraw_page(request: Request) -> Template:
    """Explain what withdrawing consent means, with one button."""
    _actor, participant = await _me(request)
    return Template("me/withdraw.html", context={"participant": participant})


@post(
    "/me/withdraw",
    name="participant.withdraw.submit",
    guards=[participant_only],
    include_in_schema=False,
    status_code=303,
)
async def withdraw(request: Request) -> Redirect:
    """Withdraw consent: from now on nothing new is collected."""
    _actor, participant = await _me(request)
    if await withdraw_consent(participant.id, today()):
        await audit(request, "consent.withdraw", "participant", participant.id)
        flash(
            request,
            _("Your consent has been withdrawn. No new answers will be collected."),
            "success",
        )
    return Redirect(url(request, "participant.home") or "/me", status_code=303)


ROUTES = [
    home,
    check_start,
    check_step,
    check_save,
    progress,
    data_page,
    data_json,
    data_csv,
    withdraw_page,
    withdraw,
]
