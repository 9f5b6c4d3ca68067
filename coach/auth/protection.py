"""Protection on every response: CSRF settings and the security headers."""

from __future__ import annotations

import hashlib
import hmac

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from coach.settings import Settings

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"  # base.html sends it on every htmx request via hx-headers

# Scripts and styles only from our own files: htmx is configured (htmx-config meta) to need
# neither eval nor inline styles. Inline SVG (charts, QR codes) is markup, not a resource.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def csrf_config(settings: Settings) -> CSRFConfig:
    """Return Litestar's CSRF settings, signed with a key derived from the app's secret."""
    secret = hmac.new(settings.secret_key.encode(), b"csrf", hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_httponly=True,  # pages carry the token themselves; scripts need not read it
        cookie_secure=settings.production,
        cookie_samesite="lax",
    )


# A year: the longest time browsers honour. Pages link static files with "?v=<hash of the
# file>", so a changed file gets a new address and a repeat visit fetches nothing.
VERSIONED_STATIC = "public, max-age=31536000, immutable"


def cache_policy(static: bool, scope: Scope) -> str:
    """Return the Cache-Control of a response that sets none itself."""
    if not static:
        return "no-store"
    query = scope.get("query_string", b"")
    versioned = any(part.startswith(b"v=") for part in query.split(b"&"))
    # Without a version the file must be checked again each time: it may change.
    return VERSIONED_STATIC if versioned else "no-cache"


def security_headers(production: bool) -> list[tuple[str, str]]:
    headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("permissions-policy", PERMISSIONS_POLICY),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if production:
        headers.append(("strict-transport-security", HSTS))
    return headers


def security_headers_middleware(app: ASGIApp, production: bool) -> ASGIApp:
    """Add the security headers to every response, and no-store to everything but static files.

    Pages hold personal data; "no-store" keeps them out of shared and browser caches
    (and the back button on a phone handed back to its owner). A response that sets
    its own Cache-Control (the service worker) keeps it.
    """
    base = security_headers(production)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in base:
                    if name not in headers:
                        headers.add(name, value)
                if "cache-control" not in headers:
                    headers.add("cache-control", cache_policy(static, scope))
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
