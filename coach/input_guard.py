"""Refuse input the database cannot store, before any handler or query sees it.

PostgreSQL text cannot hold U+0000, and text that is not UTF-8 (lone surrogates
included) cannot even be sent to it: a NUL in a sign-in form would fail deep inside a
query as a 500. SQLite would store it and give surprises later. So every query string
and every form body is checked once here and refused with 422 on both engines.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from coach.i18n import gettext as _


def storable_text(value: str) -> bool:
    """Say whether the database can store this text."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")  # fails on lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def storable_encoded(raw: bytes) -> bool:
    """Say whether a percent-encoded query string or form body decodes to storable text.

    Names and values are separated by ASCII characters, which never occur inside a
    UTF-8 sequence, so checking the whole decoded text checks every name and value.
    """
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")  # strict: refuses invalid and over-long sequences, surrogates
    except UnicodeDecodeError:
        return False
    return True


def unstorable() -> HTTPException:
    error = HTTPException(status_code=422, detail=_(
        "It has a character that cannot be saved. Go back, remove it and try again."))
    error.user_message = True  # type: ignore[attr-defined]  (shown on the error page)
    return error


async def multipart_storable(request: Request) -> bool:
    """Read the multipart form (Litestar keeps it for the handler) and check its text."""
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError):  # bytes not in the part's charset, or no such charset
        return False
    for name, value in form.multi_items():
        text = value.filename if isinstance(value, UploadFile) else value
        if not storable_text(name) or (isinstance(text, str) and not storable_text(text)):
            return False
    return True


async def body_storable(request: Request) -> bool:
    content_type, _options = request.content_type
    if content_type == RequestEncodingType.URL_ENCODED:
        # The body is kept by Litestar, so the handler's request.form() reads it again.
        return storable_encoded(await request.body())
    if content_type == RequestEncodingType.MULTI_PART:
        return await multipart_storable(request)
    return True  # the app reads no other bodies


class InputGuardMiddleware(ASGIMiddleware):
    """Refuse a request whose path, query string or form holds text the database cannot store.

    Put it after the language middleware, so that the refusal is in the user's language.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if "\x00" in scope["path"]:
            raise NotFoundException()  # no page, no file has such a name
        if not storable_encoded(scope.get("query_string", b"")):
            raise unstorable()
        if not await body_storable(Request(scope, receive)):
            raise unstorable()
        await next_app(scope, receive, send)
