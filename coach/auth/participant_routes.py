"""Participants signing in: personal links, signing out, and "fill in together"."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from coach.accounts.tables import User
from coach.auth import throttle
from coach.auth.access import get_participant_for
from coach.auth.actor import Actor
from coach.auth.audit import audit, client_ip
from coach.auth.guards import require_roles, require_together
from coach.auth.invites import (
    InviteRefused,
    check_can_invite,
    count_open_invites,
    create_invite,
    current_link,
    find_usable,
    invite_url,
    last_day,
    qr_svg,
    revoke_invites,
    sign_in_with_link,
)
from coach.auth.sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    end_session,
    end_session_by_id,
    rotate_session,
    session_cookie,
    set_session_data,
)
from coach.auth.signin import check_password
from coach.errors import error_response
from coach.flash import flash
from coach.forms import local_date
from coach.groups.services import group_is_closed
from coach.i18n import gettext as _
from coach.participant_portal import drafts
from coach.settings import Settings
from coach.ui import url

coach_or_admin = require_roles("coach", "admin")


def _settings(request: Request) -> Settings:
    return request.app.state["settings"]


def participant_home(request: Request) -> str:
    return url(request, "participant.home") or "/"


def _invalid_link(request: Request) -> Response:
    return error_response(request, 404, _(
        "This link no longer works. Ask your coach for a new one."
    ))


async def _bad_link(request: Request) -> Response:
    """Answer a link that cannot be used: 404, or 429 once this address had too many.

    Only bad links are counted, and only after the link was looked up, so a valid link
    opens even from an address (a venue's shared Wi-Fi) that has used its bad ones up.
    """
    reservation = await throttle.reserve(throttle.invite_limits(client_ip(request)))
    if reservation.refused:
        await audit(request, "invite.throttled", detail={"retry_after": reservation.retry_after})
        return error_response(
            request, 429, headers={"Retry-After": str(reservation.retry_after)}
        )
    await audit(request, "invite.failure")
    return _invalid_link(request)


# --- Personal links ------------------------------------------------------------------------

@post("/participants/{participant_id:int}/invite", name="participant.invite",
      guards=[coach_or_admin], include_in_schema=False)
async def invite_create(request: Request, participant_id: FromPath[int]) -> Response:
    """Make a participant's personal link and show it once, with its QR code.

    When the participant already has a working link, ask first (a post without renew=1
    only shows it): the new link stops the old one, which they may be using.
    """
    actor: Actor = request.user
    participant = await get_participant_for(actor, participant_id)
    back = url(request, "participant", participant_id=participant.id)
    form = await request.form()
    try:
        existing = await current_link(participant.id)
        if existing and form.get("renew") != "1":
            # Only shown, so checked here; create_invite checks in its own transaction.
            await check_can_invite(participant.id)
            return Template("auth/invite_status.html", context={
                "participant": participant, "back": back,
                "made_on": local_date(existing["created_at"]),
                "used_on": local_date(existing["used_at"]) if existing["used_at"] else None,
                "last_day": last_day(existing["expires_at"]),
            })
        token = await create_invite(participant.id, actor.user_id)
    except InviteRefused as exc:
        return error_response(request, 409, str(exc))
    await audit(request, "invite.create", "participant", participant.id,
                {"renewed": True} if existing else None)
    settings = _settings(request)
    link = invite_url(settings.base_url or str(request.base_url), token)
    made = await current_link(participant.id)
    return Template("auth/invite.html", context={
        "participant": participant, "link": link, "qr": qr_svg(link),
        "last_day": last_day(made["expires_at"]) if made else None, "back": back,
    })


@post("/participants/{participant_id:int}/invite/revoke", name="participant.invite.revoke",
      guards=[coach_or_admin], include_in_schema=False, status_code=303)
async def invite_revoke(request: Request, participant_id: FromPath[int]) -> Response:
    """Cancel a participant's open links and sign them out on every device.

    It cannot be undone and takes the participant's phone out mid-use, so a post without
    confirm=1 changes nothing and shows what will happen, with the button that does it.
    """
    participant = await get_participant_for(request.user, participant_id)
    data = await request.form()
    if data.get("confirm") != "1":
        return Template("auth/invite_revoke.html", status_code=200, context={
            "participant": participant,
            "open_invites": await count_open_invites(participant.id),
            "back": url(request, "participant", participant_id=participant.id),
        })
    await revoke_invites(participant.id)
    await audit(request, "invite.revoke", "participant", participant.id)
    flash(request, _("The participant's links were cancelled and they were signed out."),
          "success")
    return Redirect(url(request, "participant", participant_id=participant.id) or "/",
                    status_code=303)


@get("/i/{token:str}", name="invite.open", opt={"public": True}, include_in_schema=False)
async def invite_open(request: Request, token: FromPath[str]) -> Response:
    """Show the welcome page of a link; the link is used only when the button is pressed.

    Message apps open links to preview them; a GET that used the link would spend it
    before the participant ever saw it.
    """
    if await find_usable(token) is None:
        return await _bad_link(request)
    return Template("auth/invite_open.html", context={"token": token})


@post("/i/{token:str}", name="invite.use", opt={"public": True}, include_in_schema=False)
async def invite_use(request: Request, token: FromPath[str]) -> Response:
    """Use the link: sign the participant in on this device."""
    settings = _settings(request)
    signed_in = await sign_in_with_link(settings, token)
    if signed_in is None:
        return await _bad_link(request)
    participant_id, raw = signed_in
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await end_session(old)
    await audit(request, "invite.use", "participant", participant_id)
    return Redirect(participant_home(request), status_code=303,
                    cookies=[session_cookie(settings, raw)])


@get("/signed-out", name="participant.signed_out", opt={"public": True},
     include_in_schema=False)
async def signed_out(request: Request) -> Template:
    """Tell a participant who signed out how to come back: with their personal link."""
    return Template("auth/signed_out.html")


# --- Fill in together ----------------------------------------------------------------------

@post("/participants/{participant_id:int}/together", name="participant.together",
      guards=[coach_or_admin], include_in_schema=False, status_code=303)
async def together_start(request: Request, participant_id: FromPath[int]) -> Redirect:
    """Hand the phone over: this session acts as the participant until the coach takes it back."""
    actor: Actor = request.user
    participant = await get_participant_for(actor, participant_id)
    if participant.consent_withdrawn_on is not None:
        # Nothing new may be collected about them (the check's save refuses it too).
        flash(request, _("This participant has withdrawn consent: they no longer answer "
                         "checks."), "error")
        return Redirect(url(request, "participant", participant_id=participant.id) or "/",
                        status_code=303)
    if await group_is_closed(participant.group):
        # A session for a closed group's participant would end at once and sign the coach
        # out; say why instead and keep the coach's own session.
        flash(request, _("The group is closed: its participants no longer answer checks."),
              "error")
        return Redirect(url(request, "participant", participant_id=participant.id) or "/",
                        status_code=303)
    # Each hand-over gets its own wrong guesses (the counter is the session's).
    await throttle.clear(throttle.together_limits(actor.session_id))
    await set_session_data(actor.session_id, {"together": participant.id})
    raw = await rotate_session(_settings(request), actor.session_id)
    await audit(request, "together.start", "participant", participant.id)
    return Redirect(participant_home(request), status_code=303,
                    cookies=[session_cookie(_settings(request), raw)])


@get("/together/end", name="together.end", guards=[require_together], include_in_schema=False)
async def together_end_page(request: Request) -> Template:
    """Ask the coach for their password before showing anything of theirs again."""
    return Template("auth/together_end.html", context={"error": None})


@post("/together/end", name="together.end.submit", guards=[require_together],
      include_in_schema=False)
async def together_end(request: Request) -> Response:
    """Give the phone back to the coach, who proves it is them with their password.

    Wrong guesses count against this hand-over (the session), not the coach's username:
    a participant's guesses must not lock the coach out of signing in. When they run out,
    the whole session ends and the coach signs in again.
    """
    actor: Actor = request.user
    settings = _settings(request)
    form = await request.form()
    limits = throttle.together_limits(actor.session_id)
    reservation = await throttle.reserve(limits)
    if reservation.refused:
        return await _end_together_session(request, settings)
    user = await User.objects().where(User.id == actor.user_id).first()
    if await check_password(user, str(form.get("password") or "")):
        await throttle.clear(limits)  # the next hand-over starts afresh
        # Unsaved answers of the hand-over do not wait on the server for the next one.
        await drafts.discard_of_session(actor.session_id)
        await set_session_data(actor.session_id, {})
        raw = await rotate_session(settings, actor.session_id)
        await audit(request, "together.end", "participant", actor.participant_id)
        back = url(request, "participant", participant_id=actor.participant_id)
        return Redirect(back or url(request, "home") or "/", status_code=303,
                        cookies=[session_cookie(settings, raw)])
    await audit(request, "together.failure", "participant", actor.participant_id)
    if await throttle.retry_after(limits):
        return await _end_together_session(request, settings)
    return Template("auth/together_end.html", status_code=422, context={
        "error": _("The password is not correct."),
    })


async def _end_together_session(request: Request, settings: Settings) -> Redirect:
    """Too many wrong passwords: end the session, so the coach signs in again."""
    actor: Actor = request.user
    await end_session_by_id(actor.session_id)
    await audit(request, "together.throttled", "participant", actor.participant_id)
    return Redirect("/login", status_code=303, cookies=[clear_session_cookie(settings)])


ROUTES = [invite_create, invite_revoke, invite_open, invite_use, signed_out, together_start,
          together_end_page, together_end]
