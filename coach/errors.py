"""Error responses: a plain page in the user's language, never a traceback."""

from __future__ import annotations

import logging
import sqlite3

from asyncpg.exceptions import ForeignKeyViolationError
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR

from coach.i18n import gettext as _
from coach.logs import loggable_path

logger = logging.getLogger("coach.errors")


def _title(status: int) -> str:
    titles = {
        400: _("The request could not be understood."),
        401: _("Sign in first."),
        403: _("You do not have access to this page."),
        404: _("Page not found."),
        405: _("That action is not possible here."),
        409: _("This cannot be done now."),
        413: _("What you sent is too large."),
        422: _("What you sent cannot be saved."),
        429: _("Too many attempts. Please wait a moment and try again."),
    }
    return titles.get(status, _("Something went wrong on our side. Please try again later."))


def wants_json(request: Request) -> bool:
    """Say whether the client asked for JSON rather than a page."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def error_response(
    request: Request, status: int, detail: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    message = detail or _title(status)
    if wants_json(request):
        return Response(
            {"status_code": status, "detail": message}, status_code=status, headers=headers
        )
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": _title(status), "detail": detail},
        status_code=status,
        headers=headers,
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    """Render an HTTP error; details are shown only when they were written for users."""
    written_for_users = getattr(exc, "user_message", False)
    detail = exc.detail if written_for_users else None
    if exc.status_code == 400 and not written_for_users and exc.detail and (
            exc.detail != "Bad Request"):
        # Validation messages from Litestar name the field, which helps API users.
        detail = exc.detail if wants_json(request) else None
    return error_response(request, exc.status_code, detail, headers=exc.headers)


def refers_to_a_removed_row(exc: BaseException) -> bool:
    """Say whether the database refused a row that refers to one deleted meanwhile.

    A coach's page looked the person up, then an erasure (or another deletion) won the
    race before the write: the write loses, with a 409 rather than a 500.
    """
    if isinstance(exc, sqlite3.IntegrityError):
        return str(exc).startswith("FOREIGN KEY constraint failed")
    return isinstance(exc, ForeignKeyViolationError)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Log the traceback; show the user a plain page."""
    if refers_to_a_removed_row(exc):
        logger.warning("%s %s refers to a row removed meanwhile: %s", request.method,
                       loggable_path(request.url.path), exc)
        return error_response(request, HTTP_409_CONFLICT, _(
            "Someone removed this record at the same moment. Nothing was saved."))
    logger.exception("unhandled error on %s %s", request.method,
                     loggable_path(request.url.path), exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)
