"""Translations: Babel message catalogues for Finnish, Swedish and English.

The catalogues are the .po files under coach/locale; they are read at start-up,
so there is no compile step. The language of the current request lives in a
context variable that the language middleware sets.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from functools import cache
from pathlib import Path

from babel.core import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from coach.accounts.tables import User

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_language", default=DEFAULT_LANGUAGE
)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Return msgid -> translation for a language, merged from every .po file of it.

    Each feature keeps its own file (coach/locale/<language>/<feature>.po) so that
    work on different features never edits the same catalogue.
    """
    merged: dict[str, str] = {}
    for po_file in sorted((LOCALE_DIR / language).glob("*.po")):
        with po_file.open("rb") as handle:
            po = read_po(handle, locale=language)
        for message in po:
            if message.id and isinstance(message.id, str) and message.string:
                merged[message.id] = message.string
    return merged


def gettext(message: str, language: str | None = None) -> str:
    """Translate a message into the current (or given) language."""
    return catalogue(language or current_language.get()).get(message, message)


_ = gettext


def pick_language(choice: str | None, accept_language: str | None) -> str:
    """Return the user's choice, else the browser's preference, else Finnish."""
    if choice in LANGUAGES:
        return choice  # type: ignore[return-value]
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def parse_accept_language(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]


def babel_locale(language: str) -> str:
    """Return the Babel locale used to format dates and numbers for a language."""
    return {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}.get(language, "fi_FI")


@cache
def locale_of(language: str) -> Locale:
    """The Babel Locale of a language, parsed once (Babel parses a locale name every call)."""
    return Locale.parse(babel_locale(language))


def format_day(value: dt.date | None, form: str = "medium") -> str:
    """Format a date for the current language ("" for none)."""
    if value is None:
        return ""
    return babel_format_date(value, format=form, locale=locale_of(current_language.get()))


# --- The user's choice: a cookie on every device, and the account for staff ---

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def cookie_choice(scope: Scope) -> str | None:
    """Return the language stored in the language cookie, if it names one we have."""
    value = ASGIConnection(scope).cookies.get(LANGUAGE_COOKIE)
    return value if value in LANGUAGES else None


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Set current_language for the request from the cookie, else Accept-Language.

    Wrapped around the whole app (not a route middleware) so that pages for
    unmatched paths, such as 404, are translated too.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        accept_language = ASGIConnection(scope).headers.get("accept-language")
        language = pick_language(cookie_choice(scope), accept_language)
        token = current_language.set(language)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    # The same URL answers in another language for another cookie or browser.
                    headers.append((b"vary", b"Cookie, Accept-Language"))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            current_language.reset(token)

    return middleware


class AccountLanguageMiddleware(ASGIMiddleware):
    """Use a signed-in user's saved language on a device that has made no choice yet.

    Must come after the authentication middleware, which puts the actor in the scope.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        actor = scope.get("user")
        language = getattr(actor, "language", None)
        if language in LANGUAGES and cookie_choice(scope) is None:
            current_language.set(language)
        await next_app(scope, receive, send)


def safe_next(target: str | None) -> str:
    """Return a path on this site to go back to, never another site."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(character < " " for character in target)):
        return "/"
    return target


async def _save_account_language(actor: object, language: str) -> None:
    """Keep a staff member's choice for their other devices.

    Not in "fill in together" mode: the participant holding the coach's phone chooses
    for this device only, not for the coach's account.
    """
    user_id = getattr(actor, "user_id", None)
    if user_id is not None and not getattr(actor, "together", False):
        await User.update({User.language: language}).where(User.id == user_id)


@post("/language", name="language", opt={"public": True}, include_in_schema=False,
      status_code=303)
async def choose_language(request: Request) -> Redirect:
    """Remember the chosen language and go back to the page it was chosen on."""
    form = await request.form()
    language = form.get("language")
    target = safe_next(form.get("next"))
    if language not in LANGUAGES:
        return Redirect(target, status_code=303)
    await _save_account_language(request.scope.get("user"), language)
    settings = request.app.state.get("settings")
    return Redirect(
        target,
        status_code=303,
        cookies=[Cookie(
            key=LANGUAGE_COOKIE, value=language, max_age=LANGUAGE_COOKIE_SECONDS, path="/",
            httponly=True, samesite="lax", secure=bool(settings and settings.production),
        )],
    )
