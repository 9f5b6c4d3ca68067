"""Pages compressed, but only for requests the site's own pages made.

Compressing a page that holds a secret (the CSRF token, participants' names) next to text a
request put there lets an attacker guess the secret from the compressed lengths (BREACH):
they make the victim's browser send many requests, each with a guess, and watch the sizes
on the network. Those requests come from the attacker's site. Browsers say where a request
comes from in Sec-Fetch-Site, a header no page can set: "same-origin" for our own links,
forms and htmx requests, "none" for an address typed or opened from a bookmark or the
home-screen icon. Only such requests get a compressed page. A request from another site, or
from a client that does not say (an old browser, a script), gets the page as it is.

Static files are compressed ahead of time (coach.pwa); this covers what handlers render.
"""

from __future__ import annotations

import gzip

import brotli
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from coach.pwa import WORTH_COMPRESSING, accepted_coding

OWN_REQUESTS = (b"same-origin", b"none")
COMPRESSED_TYPES = ("text/html",)
# Quick settings: a page is compressed on every request. Brotli at 5 and gzip at 6 make a
# 12 KB page about a quarter of its size in a fraction of a millisecond.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# Larger bodies are sent as they are rather than held in memory (pages are far smaller).
MAX_HELD = 2 * 1024 * 1024


def compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def wanted_coding(scope: Scope) -> str:
    """Return "br" or "gzip" when this request may have a compressed page, else "identity"."""
    if scope.get("method") == "HEAD":
        return "identity"
    site = accept = b""
    for name, value in scope["headers"]:
        if name == b"sec-fetch-site":
            site = value
        elif name == b"accept-encoding":
            accept = value
    if site not in OWN_REQUESTS or not accept:
        return "identity"
    return accepted_coding(accept.decode("latin-1"))  # a page can be sent in any of them


def page_compression_middleware(app: ASGIApp) -> ASGIApp:
    """Compress HTML responses of one body for the site's own requests (see the module)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        coding = wanted_coding(scope) if scope["type"] == "http" else "identity"
        if coding == "identity":
            await app(scope, receive, send)
            return
        start: Message | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                html = headers.get("content-type", "").startswith(COMPRESSED_TYPES)
                if html and "content-encoding" not in headers:
                    start = message  # held until the body shows whether it pays
                    return
            elif message["type"] == "http.response.body" and start is not None:
                held, start = start, None
                body = message.get("body", b"")
                whole = not message.get("more_body", False)
                if whole and WORTH_COMPRESSING < len(body) <= MAX_HELD:
                    packed = compress(body, coding)
                    if len(packed) + WORTH_COMPRESSING < len(body):
                        headers = MutableScopeHeaders.from_message(held)
                        headers["content-encoding"] = coding
                        headers["content-length"] = str(len(packed))
                        vary = headers.get("vary")
                        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
                        message = {**message, "body": packed}
                await send(held)
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
