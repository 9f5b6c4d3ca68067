"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response, Template

from coach.accounts.services import change_password
from coach.accounts.tables import User
from coach.auth import throttle
from coach.auth.actor import Actor
from coach.auth.audit import audit, client_ip
from coach.auth.devices import DEVICE_COOKIE, device_cookie, issue_device, read_device
from coach.auth.guards import staff_only
from coach.auth.sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    create_session,
    end_expired_sessions,
    end_session,
    end_user_sessions,
    session_cookie,
)
from coach.auth.signin import attempt_limits, sign_in
from coach.errors import error_response
from coach.flash import flash
from coach.forms import text
from coach.i18n import gettext as _
from coach.i18n import safe_next
from coach.settings import Settings
from coach.ui import url


def home_path(request: Request) -> str:
    return url(request, "home") or "/"


def _settings(request: Request) -> Settings:
    return request.app.state["settings"]


@get("/login", name="login", opt={"public": True}, include_in_schema=False)
async def login_page(request: Request) -> Template:
    """Show the sign-in form."""
    return Template("auth/login.html", context={
        "next": safe_next(request.query_params.get("next")), "username": "", "error": None,
    })


@post("/login", name="login.submit", opt={"public": True}, include_in_schema=False)
async def login_submit(request: Request) -> Response:
    """Sign a staff member in, starting a new session with a new id."""
    form = await request.form()
    username, target = text(form, "username"), safe_next(text(form, "next"))
    settings = _settings(request)
    device = read_device(settings, request.cookies.get(DEVICE_COOKIE))
    result = await sign_in(username, str(form.get("password") or ""), client_ip(request), device)
    if result.user is None:
        if result.retry_after:
            error = _("Too many attempts. Please wait a moment and try again.")
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        else:
            error = _("The username or password is not correct.")
            status, headers = 422, None
        return Template("auth/login.html", status_code=status, headers=headers, context={
            "next": target, "username": username, "error": error,
        })
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await end_session(old)  # never carry an earlier session over a sign-in
    await end_expired_sessions(settings)  # sign-ins are rare enough to tidy up on
    raw, _session_id = await create_session(settings, user_id=result.user.id)
    destination = "/password" if result.user.must_change_password else (
        target if target != "/" else home_path(request))
    known_device = device_cookie(settings, issue_device(settings, result.user.id))
    return Redirect(destination, status_code=303,
                    cookies=[session_cookie(settings, raw), known_device])


@post("/logout", name="logout", opt={"public": True}, include_in_schema=False)
async def logout(request: Request) -> Response:
    """End this session at once and go to the sign-in page.

    A participant on their own phone is asked once first (a post without confirm=1 only
    asks), and then lands on a page that tells how to come back, not on staff sign-in.
    """
    actor = request.scope.get("user")
    own_phone = isinstance(actor, Actor) and actor.role == "participant" and not actor.together
    if own_phone and (await request.form()).get("confirm") != "1":
        return Template("auth/sign_out_confirm.html", context={
            "back": url(request, "participant.home"),
        })
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await end_session(raw)
    if isinstance(actor, Actor):
        await audit(request, "logout", "user" if actor.user_id else "participant",
                    actor.user_id or actor.participant_id)
    target = (url(request, "participant.signed_out") if own_phone else None) or "/login"
    return Redirect(target, status_code=303, cookies=[clear_session_cookie(_settings(request))])


@get("/password", name="password", guards=[staff_only], opt={"password_change": True},
     include_in_schema=False)
async def password_page(request: Request) -> Template:
    """Show the form for changing one's own password."""
    actor: Actor = request.user
    return Template("auth/password.html", context={
        "errors": {}, "forced": actor.must_change_password,
    })


@post("/password", name="password.submit", guards=[staff_only], opt={"password_change": True},
      include_in_schema=False)
async def password_submit(request: Request) -> Response:
    """Change one's own password; other sessions of the user end, this one gets a new id."""
    actor: Actor = request.user
    form = await request.form()
    # Guessing the current password here must cost as much as guessing it at /login, and
    # is counted before the check in the same way.
    device = read_device(_settings(request), request.cookies.get(DEVICE_COOKIE))
    limits = attempt_limits(actor.user_id, actor.username, client_ip(request), device)
    reservation = await throttle.reserve(limits)
    if reservation.refused:
        await audit(request, "password.throttled", "user", actor.user_id)
        return error_response(
            request, 429, headers={"Retry-After": str(reservation.retry_after)}
        )
    user = await User.objects().where(User.id == actor.user_id).first()
    errors = await change_password(
        user, str(form.get("current_password") or ""), str(form.get("new_password") or ""),
        str(form.get("new_password_again") or ""),
    )
    if "current_password" in errors:
        await audit(request, "password.failure", "user", actor.user_id)
    else:
        await throttle.release(reservation)  # the current password was right
    if errors:
        return Template("auth/password.html", status_code=422, context={
            "errors": errors, "forced": actor.must_change_password,
        })
    await end_user_sessions(actor.user_id)
    settings = _settings(request)
    raw, _session_id = await create_session(settings, user_id=actor.user_id)
    await audit(request, "password.change", "user", actor.user_id)
    flash(request, _("Your password has been changed."), "success")
    return Redirect(home_path(request), status_code=303, cookies=[session_cookie(settings, raw)])


ROUTES = [login_page, login_submit, logout, password_page, password_submit]
