"""The installable app: manifest, service worker and the page shown when offline."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from litestar import Response, get
from litestar.config.compression import CompressionConfig
from litestar.file_system import BaseLocalFileSystem
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.response import Template
from litestar.types import PathType
from litestar.types.file_types import FileInfo

from coach.i18n import LANGUAGES, current_language
from coach.i18n import gettext as _
from coach.ui import STATIC_DIR, static_url

# Only these files are cached on the device: code, styles and icons. The one exception,
# a signed-in coach's "Log a meeting" pages, is the service worker's (see sw.js).
PRECACHE = (
    "app.css",
    "app.js",
    "offline-queue.js",
    "connection-note.js",
    "offline-page.js",
    "vendor/htmx/htmx.min.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)
THEME_COLOUR = "#1b5e4b"

# Gzip for static files only. Pages are sent as they are: they carry the CSRF token and
# personal data, and compressing those next to reflected input invites BREACH-style guessing.
static_compression = DefineMiddleware(
    CompressionMiddleware, config=CompressionConfig(backend="gzip", gzip_compress_level=6)
)
BACKGROUND_COLOUR = "#ffffff"


class StaticFileSystem(BaseLocalFileSystem):
    """The static folder on disk, where a name no file can have is simply not found.

    Litestar turns only "no such file" into 404; a NUL, a name too long for the disk or
    a file used as a folder would otherwise raise and answer 500.
    """

    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        try:
            return await super().info(path, **kwargs)
        except (OSError, ValueError) as exc:
            raise FileNotFoundError(str(path)) from exc


@cache
def service_worker_source() -> str:
    """Return sw.js with the versioned asset URLs filled in."""
    assets = [static_url(path) for path in PRECACHE]
    version = hashlib.sha256("".join(assets).encode()).hexdigest()[:12]
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    return source.replace("__ASSETS__", json.dumps(assets)).replace("__VERSION__", version)


@get("/sw.js", name="service_worker", opt={"public": True}, include_in_schema=False,
     middleware=[static_compression])
async def service_worker() -> Response[str]:
    """Serve the service worker from the root, so that it may control every page."""
    return Response(
        service_worker_source(),
        media_type="text/javascript",
        # Browsers must see a new worker as soon as it is deployed.
        headers={"Cache-Control": "no-cache"},
    )


@get("/manifest.webmanifest", name="manifest", opt={"public": True}, include_in_schema=False)
async def manifest() -> Response[dict]:
    """Describe the app to the phone's home screen, in the user's language."""
    data = {
        "name": _("Coaching progress"),
        "short_name": _("Coaching"),
        "description": _("Progress of coaching groups"),
        "lang": current_language.get(),
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static_url("icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(data, media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"})


@get("/offline", name="offline", opt={"public": True}, include_in_schema=False)
async def offline() -> Template:
    """Show the page the service worker falls back to; it says the same in every language."""
    messages = [
        {
            "lang": language,
            "title": _("You are offline", language),
            "text": _("This page needs a connection. Nothing you entered was saved. "
                      "Try again when you have a signal.", language),
            "retry": _("Try again", language),
        }
        for language in LANGUAGES
    ]
    return Template(template_name="offline.html", context={"messages": messages})


ROUTES = [service_worker, manifest, offline]
