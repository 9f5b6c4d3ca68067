"""Authentication on every request: deny by default unless a route is opt={"public": True}."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from litestar import Litestar, Request, Response
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from coach.auth.actor import PARTICIPANT, Actor
from coach.auth.guards import admits_participants
from coach.auth.sessions import SESSION_COOKIE, end_session_by_id, find_session
from coach.errors import wants_json
from coach.export.tokens import actor_for_token
from coach.groups.tables import GroupCoach
from coach.participants.tables import Participant
from coach.settings import Settings

LOGIN_PATH = "/login"
PASSWORD_PATH = "/password"  # noqa: S105 (a URL, not a secret)
PARTICIPANT_PATH = "/me"
SIGNED_OUT_PATH = "/signed-out"


async def _participant_in_open_group(participant_id: int) -> bool:
    """Say whether a participant may still be signed in: not erased, group not closed."""
    row = await Participant.select(
        Participant.erased_at, Participant.group.closed_at
    ).where(Participant.id == participant_id).first()
    return row is not None and row["erased_at"] is None and row["group.closed_at"] is None


async def _coaches(user_id: int, participant_id: int) -> bool:
    group = await Participant.select(Participant.group).where(
        Participant.id == participant_id
    ).first()
    if group is None:
        return False
    return await GroupCoach.exists().where(
        (GroupCoach.coach == user_id) & (GroupCoach.group == group["group"])
    )


async def actor_for_session(session: dict[str, Any]) -> Actor | None:
    """Return the actor of a live session row, or None if it may no longer be used."""
    if session["user"] is not None:
        if not session["user.is_active"]:
            return None
        together = session["data"].get("together")
        if together is not None:
            if not await _participant_in_open_group(together):
                return None
            if session["user.role"] != "admin" and not await _coaches(session["user"], together):
                return None
            return Actor(
                role=PARTICIPANT, user_id=session["user"], participant_id=together,
                username=session["user.username"], label="", language=session["user.language"],
                session_id=session["id"], together=True,
            )
        return Actor(
            role=session["user.role"], user_id=session["user"], participant_id=None,
            username=session["user.username"],
            label=session["user.display_name"] or session["user.username"],
            language=session["user.language"], session_id=session["id"],
            must_change_password=session["user.must_change_password"],
        )
    participant_id = session["participant"]
    if participant_id is None or session["participant.erased_at"] is not None:
        return None
    if session["participant.group.closed_at"] is not None:
        return None
    return Actor(
        role=PARTICIPANT, user_id=None, participant_id=participant_id,
        username=f"participant:{participant_id}", label=session["participant.display_name"],
        language="", session_id=session["id"],
    )


async def load_actor(settings: Settings, raw: str | None) -> Actor | None:
    """Return the actor of a session cookie value; end sessions that may not be used."""
    if not raw:
        return None
    session = await find_session(settings, raw)
    if session is None:
        return None
    actor = await actor_for_session(session)
    if actor is None:
        await end_session_by_id(session["id"])
    return actor


def login_redirect(request: Request) -> Response:
    """Send a browser to the login page, and back here afterwards.

    A participant's pages send to the page that says how participants come back (with
    their personal link): the staff sign-in form is of no use to them.
    """
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    location = f"{LOGIN_PATH}?next={quote(target)}" if target != "/" else LOGIN_PATH
    path = request.url.path
    if path == PARTICIPANT_PATH or path.startswith(PARTICIPANT_PATH + "/"):
        location = SIGNED_OUT_PATH
    if request.headers.get("hx-request"):
        # An XMLHttpRequest follows a redirect silently; htmx acts on this header instead.
        return Response(b"", status_code=401, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


def _bearer_token(request: Request) -> str | None:
    """Return the token of an "Authorization: Bearer ..." header, if there is one."""
    scheme, _space, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _token_refused(reason: str) -> ASGIApp:
    """Return a 401 with the reason as JSON, for scripts using an API token."""
    body = json.dumps({"status_code": 401, "detail": reason}).encode()
    return ASGIResponse(body=body, status_code=401, media_type="application/json",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class AuthenticationMiddleware(ASGIMiddleware):
    """Put the actor in scope["user"]; refuse anonymous requests to non-public routes."""

    scopes = (ScopeType.HTTP,)
    # Files that are the same for everyone never look up a session (no database work).
    # The manifest is not among them: it is in the account's language.
    exclude_path_pattern = ("^/static/", "^/sw\\.js$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app = Litestar.from_scope(scope)
        settings: Settings = app.state["settings"]
        request: Request = Request(scope, receive)
        handler = scope["route_handler"]
        opt = handler.opt
        bearer = _bearer_token(request) if opt.get("api_token") else None
        if bearer is not None:
            # A script's request: the token alone decides, never a cookie (and no CSRF: GET).
            actor, refusal = await actor_for_token(bearer)
            if actor is None:
                await _token_refused(refusal)(scope, receive, send)
                return
        else:
            actor = await load_actor(settings, request.cookies.get(SESSION_COOKIE))
        scope["user"] = actor
        scope["auth"] = actor.session_id if actor else None
        public = bool(opt.get("public"))
        response: Response | None = None
        if actor is None and not public:
            if opt.get("api_token") and "text/html" not in request.headers.get("accept", ""):
                await _token_refused("missing token")(scope, receive, send)
                return
            if wants_json(request):
                raise NotAuthorizedException()
            response = login_redirect(request)
        elif actor is not None and actor.role == PARTICIPANT and not (
            public or admits_participants(handler)
        ):
            raise PermissionDeniedException()
        elif actor is not None and actor.must_change_password and not (
            public or opt.get("password_change")
        ):
            if wants_json(request):
                raise PermissionDeniedException()
            response = Redirect(PASSWORD_PATH, status_code=303)
        if response is not None:
            await response.to_asgi_response(app=app, request=request)(scope, receive, send)
            return
        await next_app(scope, receive, send)
