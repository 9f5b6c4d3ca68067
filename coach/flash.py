"""One-time messages shown on the next page ("Meeting saved"), carried in a signed cookie.

A cookie rather than the server-side session so that messages also work for people who
are not signed in, and so that this needs nothing from the session store. Messages are
shown once: the page that shows them clears the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from coach.same_text import same_text

FLASH_COOKIE = "flash"
CATEGORIES = ("info", "success", "error")
_OUTGOING = "coach.flash.out"
_INCOMING = "coach.flash.in"
_SHOWN = "coach.flash.shown"


def flash(request: Request, message: str, category: str = "info") -> None:
    """Show a translated message on the next page this browser loads."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown flash category {category!r}")
    request.scope.setdefault(_OUTGOING, []).append({"text": message, "category": category})  # type: ignore[misc]


def flashed_messages(request: Request) -> list[dict[str, str]]:
    """Return the messages waiting for this page and mark them as shown."""
    messages = request.scope.get(_INCOMING) or []  # type: ignore[misc]
    if messages:
        request.scope[_SHOWN] = True  # type: ignore[literal-required]
    return messages


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def encode(secret: str, messages: list[dict[str, str]]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(messages).encode()).decode().rstrip("=")
    return f"{payload}.{_sign(secret, payload.encode())}"


def decode(secret: str, value: str) -> list[dict[str, str]]:
    """Return the messages of a cookie value, or none if it was not made by us."""
    payload, _sep, signature = value.partition(".")
    if not same_text(signature, _sign(secret, payload.encode())):
        return []
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return []
    return [
        {"text": str(item["text"]), "category": item["category"]}
        for item in data
        if isinstance(item, dict) and item.get("category") in CATEGORIES and "text" in item
    ]


def flash_middleware(app: ASGIApp, secret: str, secure: bool) -> ASGIApp:
    """Read waiting messages into the scope; store new ones, or clear shown ones, on the way out."""
    attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        existing = ASGIConnection(scope).cookies.get(FLASH_COOKIE)
        scope[_INCOMING] = decode(secret, existing) if existing else []  # type: ignore[literal-required]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                outgoing = scope.get(_OUTGOING)  # type: ignore[misc]
                cookie = None
                if outgoing:
                    cookie = f"{FLASH_COOKIE}={encode(secret, outgoing)}; Max-Age=300{attributes}"
                elif existing and scope.get(_SHOWN):  # type: ignore[misc]
                    cookie = f"{FLASH_COOKIE}=; Max-Age=0{attributes}"
                if cookie:
                    headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                    message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
