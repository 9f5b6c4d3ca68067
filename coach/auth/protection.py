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


# Which headers act on which response. Most act only on a page (a document): the CSP governs
# what it may load and run, X-Frame-Options and frame-ancestors its framing, Permissions-Policy
# and the opener policy its browsing context, the referrer policy the requests made from it.
# The service worker's script is no page, but the CSP and the referrer policy govern the
# worker as they do a page. Files a page loads (scripts, styles, images, the manifest) are
# never shown as a page: there those headers do nothing and cost some 500 bytes a response,
# so they get only what acts on them: nosniff (a script or stylesheet of another type is
# refused; nothing is guessed into HTML) and HSTS (any response over HTTPS sets it). An SVG
# is the exception, shown as a document when opened by its address: it gets a CSP that lets
# it load and run nothing. An error answer (404 under /static/) is a page.
PAGE, WORKER, FILE = "page", "worker", "file"
FILE_PATHS = ("/static/", "/manifest.webmanifest")
WORKER_PATHS = ("/sw.js",)
SVG_POLICY = "default-src 'none'"


def security_headers(production: bool, kind: str = PAGE) -> list[tuple[str, str]]:
    """Return the security headers of a page, of the service worker or of a file a page loads."""
    headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY, (PAGE, WORKER)),
        ("x-content-type-options", "nosniff", (PAGE, WORKER, FILE)),
        ("referrer-policy", "same-origin", (PAGE, WORKER)),
        ("x-frame-options", "DENY", (PAGE,)),
        ("permissions-policy", PERMISSIONS_POLICY, (PAGE,)),
        ("cross-origin-opener-policy", "same-origin", (PAGE,)),
        ("strict-transport-security", HSTS, (PAGE, WORKER, FILE) if production else ()),
    ]
    return [(name, value) for name, value, kinds in headers if kind in kinds]


def response_kind(path: str, status: int) -> str:
    """Return which headers a response needs: those of a page, the worker or a file."""
    if status >= 400:
        return PAGE
    if path.startswith(FILE_PATHS):
        return FILE
    return WORKER if path in WORKER_PATHS else PAGE


def security_headers_middleware(app: ASGIApp, production: bool) -> ASGIApp:
    """Add the security headers to every response, and no-store to everything but static files.

    Pages hold personal data; "no-store" keeps them out of shared and browser caches
    (and the back button on a phone handed back to its owner). A response that sets
    its own Cache-Control (static files, the service worker, the manifest) keeps it.
    """
    by_kind = {kind: security_headers(production, kind) for kind in (PAGE, WORKER, FILE)}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope["path"]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                kind = response_kind(path, message["status"])
                for name, value in by_kind[kind]:
                    if name not in headers:
                        headers.add(name, value)
                if kind == FILE and "content-security-policy" not in headers \
                        and headers.get("content-type", "").startswith("image/svg+xml"):
                    headers.add("content-security-policy", SVG_POLICY)
                if "cache-control" not in headers:
                    headers.add("cache-control", "no-store")
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
