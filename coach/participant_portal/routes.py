"""The participant's pages: welcome, the check, progress, my data, withdrawing consent."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from coach.assessments.care import help_contacts, progress_care
from coach.assessments.instruments import AnswerError, all_instruments, get_instrument
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
from coach.auth.sessions import SESSION_COOKIE, hash_token
from coach.choices import (
    AssessmentMode,
    Education,
    Gender,
    LabourStatus,
    UnemploymentDuration,
)
from coach.errors import error_response
from coach.flash import flash
from coach.forms import today
from coach.i18n import current_language
from coach.i18n import gettext as _
from coach.participant_portal import drafts
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
    """Welcome the participant in plain words: whether a check is due, and how long it is."""
    actor, participant = await _me(request)
    statuses = await participant_schedule(participant, today())
    due = [get_instrument(name) for name in check_flow.due_instrument_ids(statuses)]
    questions = sum(len(instrument.items) for instrument in due)
    draft = await drafts.current(_owner(request))
    begun = draft.flow if draft and not draft.saved and draft.flow.answered else None
    if begun and begun.instrument_ids() != [instrument.id for instrument in due]:
        begun = None  # "Start the check" begins the due one; this draft is not it
    await audit(request, "participant.home.view", "participant", participant.id)
    return Template(
        "me/home.html",
        context={
            "participant": participant,
            "actor": actor,
            "collect": may_collect(participant),
            "current": current_point(statuses),
            "due": due,
            "questions": questions,
            "minutes": check_flow.minutes_for(questions),
            "begun": begun,
            "instruments": all_instruments(),
        },
    )


def _owner(request: Request) -> drafts.Owner:
    """Return whose draft this request may see: its session, cookie and participant."""
    actor: Actor = request.user
    cookie = request.cookies.get(SESSION_COOKIE) or ""
    return drafts.Owner(actor.session_id, hash_token(cookie), actor.participant_id)


def _go(request: Request, name: str, **params: object) -> Redirect:
    # 303: after a POST the browser asks with GET, so Back and reload never post again.
    return Redirect(url(request, name, **params) or "/me", status_code=303)


def _go_to_screen(request: Request, flow: check_flow.Flow, number: int) -> Redirect:
    if number > flow.total:
        return _go(request, "participant.check.review")
    return _go(request, "participant.check.screen", number=number)


def _screen(
    request: Request, flow: check_flow.Flow, number: int, error: str | None = None,
    status: int = 200,
) -> Template:
    step = flow.step(number)
    back = (url(request, "participant.check.screen", number=number - 1) if number > 1
            else url(request, "participant.home"))
    return Template(
        "assess/question.html",
        status_code=status,
        context={"flow": flow, "step": step, "chosen": flow.answer_of(step), "back": back,
                 "error": error, "language": current_language.get()},
    )


def _no_such_question(request: Request, number: int) -> Response:
    return error_response(request, 404, _(
        "This check has no question %(number)s. Open the check again from your front page."
    ) % {"number": number})


def _start_again(request: Request) -> Template:
    """The session's answers are gone (saved elsewhere, too old, or signed in anew)."""
    return Template("assess/broken.html", status_code=409)


async def _may_answer(request: Request) -> Participant | None:
    _actor, participant = await _me(request)
    return participant if may_collect(participant) else None


@get("/me/check", name="participant.check", guards=[participant_only], include_in_schema=False)
async def check_start(request: Request, only: FromQuery[str | None] = None) -> Response:
    """Go to the check that is due (or one instrument): the one begun, or a new one."""
    participant = await _may_answer(request)
    if participant is None:
        return _no_consent(request)
    wanted = [only] if only else check_flow.due_instrument_ids(
        await participant_schedule(participant, today()))
    owner = _owner(request)
    draft = await drafts.current(owner)
    if draft and not draft.saved and draft.flow.instrument_ids() == wanted:
        flow = draft.flow
    else:
        try:
            flow = await drafts.begin(owner, wanted)
        except check_flow.FlowError:
            return _go(request, "participant.home")
    return _go_to_screen(request, flow, flow.first_unanswered())


async def _draft_or_redirect(request: Request) -> drafts.Draft | Response:
    """Return the unsaved draft, or where to go instead: progress once saved, else a new check."""
    draft = await drafts.current(_owner(request))
    if draft is None:
        return _go(request, "participant.check")
    if draft.saved:
        return _go(request, "participant.progress")
    return draft


@get("/me/check/{number:int}", name="participant.check.screen", guards=[participant_only],
     include_in_schema=False)
async def check_screen(request: Request, number: FromPath[int]) -> Response:
    """Show one question with the answer already given to it, if any."""
    if await _may_answer(request) is None:
        return _no_consent(request)
    draft = await _draft_or_redirect(request)
    if not isinstance(draft, drafts.Draft):
        return draft
    flow = draft.flow
    if number > flow.total:
        return _no_such_question(request, number)
    if not flow.may_show(number):
        return _go_to_screen(request, flow, flow.first_unanswered())
    return _screen(request, flow, number)


@post("/me/check/{number:int}", name="participant.check.answer", guards=[participant_only],
      include_in_schema=False, status_code=303)
async def check_answer(request: Request, number: FromPath[int]) -> Response:
    """Keep one answer on the server and go to the next screen; nothing is saved yet."""
    if await _may_answer(request) is None:
        return _no_consent(request)
    form = await request.form()
    owner = _owner(request)
    try:
        flow = await drafts.answer(owner, number, form.get("answer"))
    except drafts.NoDraft:
        return _start_again(request)
    except check_flow.NotYet:
        draft = await drafts.current(owner)
        if draft is None:
            return _start_again(request)
        return _go_to_screen(request, draft.flow, draft.flow.first_unanswered())
    except check_flow.FlowError:
        draft = await drafts.current(owner)
        if draft is None or number > draft.flow.total:
            return _no_such_question(request, number)
        message = (_("Please answer this question.") if form.get("answer") in (None, "")
                   else _("That is not one of the answers. Please choose one of them."))
        return _screen(request, draft.flow, number, message, status=422)
    return _go_to_screen(request, flow, number + 1)


@get("/me/check/review", name="participant.check.review", guards=[participant_only],
     include_in_schema=False)
async def check_review(request: Request) -> Response:
    """Show every answer once more, with the button that saves them."""
    if await _may_answer(request) is None:
        return _no_consent(request)
    draft = await _draft_or_redirect(request)
    if not isinstance(draft, drafts.Draft):
        return draft
    if not draft.flow.complete:
        return _go_to_screen(request, draft.flow, draft.flow.first_unanswered())
    return Template("assess/question.html", context={
        "flow": draft.flow, "step": None,
        "back": url(request, "participant.check.screen", number=draft.flow.total),
        "language": current_language.get(),
    })


@post(
    "/me/check/save",
    name="participant.check.save",
    guards=[participant_only],
    include_in_schema=False,
    status_code=303,
)
async def check_save(request: Request) -> Response:
    """Store the reviewed check; the server scores it from the answers it kept."""
    actor, participant = await _me(request)
    if not may_collect(participant):
        return _no_consent(request)
    together = actor.together

    async def store(answers: dict[str, dict[str, int]]) -> list:
        return await save_check(
            participant.id, answers,
            mode=AssessmentMode.together if together else AssessmentMode.invite,
            recorded_by=actor.user_id if together else None,
        )

    try:
        draft, rows = await drafts.save(_owner(request), store)
    except drafts.NoDraft:
        return _start_again(request)
    except ConsentError:
        return _no_consent(request)
    except AnswerError:
        # The stored answers no longer fit the instruments: the same draft would fail
        # again, so the next start begins afresh.
        await drafts.discard_of_session(actor.session_id)
        return _start_again(request)
    if not draft.saved:
        return _go_to_screen(request, draft.flow, draft.flow.first_unanswered())
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
    return _go(request, "participant.progress")


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
    return await _download(request, "json", as_json, "application/json; charset=utf-8")


@get(
    "/me/data.csv", name="participant.data.csv", guards=[participant_only], include_in_schema=False
)
async def data_csv(request: Request) -> Response:
    """Download everything stored about the participant as CSV."""
    # A byte order mark so that Excel reads the letters ä and ö right.
    # Litestar adds "; charset=utf-8" to a text/ type (a second one if given one).
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
        media_type=media_type,
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
        await drafts.discard_of_participant(participant.id)  # nothing more is collected
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
    check_screen,
    check_answer,
    check_review,
    check_save,
    progress,
    data_page,
    data_json,
    data_csv,
    withdraw_page,
    withdraw,
]
