"""The installable app: manifest, service worker and the page shown when offline."""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import stat
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path, PurePath

import brotli
from anyio import to_thread
from litestar import Request, get, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from litestar.response.base import ASGIResponse

from coach.i18n import LANGUAGES, current_language
from coach.i18n import gettext as _
from coach.ui import STATIC_DIR, content_version, static_url

# Only these files are cached on the device: code, styles and icons. The one exception,
# a signed-in coach's "Log a meeting" pages, is the service worker's (see sw.js).
PRECACHE = (
    "app.css",
    "app.js",
    "offline-queue.js",
    "connection-note.js",
    "offline-page.js",
    "vendor/htmx/htmx.min.js",
    "icons/icon.svg",  # the one icon the pages (and the offline page) show
)
THEME_COLOUR = "#1b5e4b"
BACKGROUND_COLOUR = "#ffffff"

# --- Compressed once, sent many times ------------------------------------------------------
# Static files, the service worker and the manifest are compressed once per process and kept
# in memory: brotli for browsers that accept it (all of them over HTTPS), gzip -9 otherwise.
# Pages are compressed per request, and only for the site's own requests
# (coach.page_compression). None of these files holds a secret or anything a request put there.
TEXT_TYPES = ("application/json", "application/manifest+json", "image/svg+xml")
# A compressed body must save more than the two headers it adds (Content-Encoding, Vary).
WORTH_COMPRESSING = 64
CODINGS = ("br", "gzip")  # preferred first when the browser accepts both alike


@dataclass(frozen=True)
class Encoded:
    """A file's bytes as sent: as they are, and compressed where that is smaller."""

    media_type: str
    version: str  # as in the versioned URL (coach.ui.static_url)
    bodies: dict[str, bytes]  # "identity", and "br" and "gzip" where they pay


def compressible(media_type: str) -> bool:
    return media_type.startswith("text/") or media_type in TEXT_TYPES


@lru_cache(maxsize=64)
def encode(data: bytes, media_type: str) -> Encoded:
    """Return the file's bytes as they are and compressed with each coding that pays."""
    bodies = {"identity": data}
    if compressible(media_type):
        packed = {"br": brotli.compress(data, quality=11),
                  "gzip": gzip.compress(data, compresslevel=9, mtime=0)}
        bodies.update((coding, body) for coding, body in packed.items()
                      if len(body) + WORTH_COMPRESSING < len(data))
    return Encoded(media_type, content_version(data), bodies)


def accepted_coding(accept_encoding: str, offered: Collection[str] = CODINGS) -> str:
    """Return the coding to send: the browser's most wanted of those offered, else identity.

    offered: the codings there is a body in (a file's encoded bodies), by default all.
    """
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights["gzip" if name == "x-gzip" else name] = weight
    best, best_weight = "identity", 0.0
    for coding in CODINGS:
        weight = weights.get(coding, weights.get("*", 0.0))
        if coding in offered and weight > best_weight:
            best, best_weight = coding, weight
    return best


def send_encoded(request: Request, encoded: Encoded,
                 headers: dict[str, str] | None = None) -> ASGIResponse:
    """Answer with the body in the best coding the browser accepts, or 304 if it has it."""
    coding = accepted_coding(request.headers.get("accept-encoding", ""), encoded.bodies)
    # A strong validator per coding: the bytes differ, so the tags must too.
    etag = f'"{encoded.version}"' if coding == "identity" else f'"{encoded.version}-{coding}"'
    answer = dict(headers or {})
    if "immutable" not in answer.get("Cache-Control", ""):  # else never asked for again
        answer["ETag"] = etag
    if len(encoded.bodies) > 1:
        vary = answer.get("Vary")
        answer["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    if coding != "identity":
        answer["Content-Encoding"] = coding
    wanted = request.headers.get("if-none-match", "")
    if "ETag" in answer and (wanted.strip() == "*" or etag in (
            tag.strip().removeprefix("W/") for tag in wanted.split(","))):
        return ASGIResponse(status_code=304, headers=answer)
    body = encoded.bodies[coding]
    text = encoded.media_type.startswith("text/")
    answer["Content-Type"] = f"{encoded.media_type}; charset=utf-8" if text else encoded.media_type
    answer["Content-Length"] = str(len(body))  # HEAD too: what GET would send
    head = request.method == "HEAD"
    return ASGIResponse(body=b"" if head else body, headers=answer, is_head_response=head)


# --- Static files ------------------------------------------------------------------------

STATIC_ROOT = STATIC_DIR.resolve()
# A year: the longest time browsers honour.
VERSIONED_STATIC = "public, max-age=31536000, immutable"
# Each file's state on disk when it was read, so that a changed file is read again.
_static_cache: dict[Path, tuple[tuple[int, int], Encoded]] = {}


def static_file(path: str) -> tuple[Path, tuple[int, int]] | None:
    """Return the file under frontend/static that a URL names, with its state on disk, or None.

    A name no file can have (a NUL, a name too long for the disk, a file used as a folder,
    a way out of the folder) is simply not found, like a missing file.
    """
    try:
        candidate = (STATIC_ROOT / path.lstrip("/")).resolve()
        status = candidate.stat()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(STATIC_ROOT) or not stat.S_ISREG(status.st_mode):
        return None
    return candidate, (status.st_mtime_ns, status.st_size)


def read_static(path: Path, state: tuple[int, int]) -> Encoded:
    """Read and compress a static file, and keep it for the next requests."""
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    encoded = encode(path.read_bytes(), media_type)
    _static_cache[path] = (state, encoded)
    return encoded


def static_cache_control(encoded: Encoded, version: str | None) -> str:
    """Return how long a static file may be kept: a year if its URL names these very bytes.

    Pages link static files with "?v=<version>", so a changed file gets a new address and a
    repeat visit fetches nothing. A URL whose version is not this file's (an older or newer
    page, a server not yet updated) must not keep other bytes under that name for a year.
    """
    return VERSIONED_STATIC if version == encoded.version else "no-cache"


@route("/static/{file_path:path}", http_method=["GET", "HEAD"], name="static",
       opt={"public": True, "exclude_from_csrf": True}, include_in_schema=False)
async def static_files(request: Request, file_path: FromPath[PurePath]) -> ASGIResponse:
    """Serve a file of frontend/static.

    It sets no CSRF cookie: shared caches may keep these answers.
    """
    found = static_file(file_path.as_posix())
    if found is None:
        raise NotFoundException()
    path, state = found
    kept = _static_cache.get(path)
    if kept and kept[0] == state:
        encoded = kept[1]
    else:
        # Compressing htmx with brotli takes some 50 ms, once: not on the event loop.
        encoded = await to_thread.run_sync(read_static, path, state)
    cache_control = static_cache_control(encoded, request.query_params.get("v"))
    return send_encoded(request, encoded, {"Cache-Control": cache_control})


@cache
def service_worker_source() -> str:
    """Return sw.js with the versioned asset URLs filled in."""
    assets = [static_url(path) for path in PRECACHE]
    version = hashlib.sha256("".join(assets).encode()).hexdigest()[:12]
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    return source.replace("__ASSETS__", json.dumps(assets)).replace("__VERSION__", version)


@get("/sw.js", name="service_worker", opt={"public": True}, include_in_schema=False)
async def service_worker(request: Request) -> ASGIResponse:
    """Serve the service worker from the root, so that it may control every page."""
    encoded = encode(service_worker_source().encode(), "text/javascript")
    # Browsers must see a new worker as soon as it is deployed.
    return send_encoded(request, encoded, {"Cache-Control": "no-cache"})


@get("/manifest.webmanifest", name="manifest", opt={"public": True}, include_in_schema=False)
async def manifest(request: Request) -> ASGIResponse:
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
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    encoded = encode(body, "application/manifest+json")
    return send_encoded(request, encoded,
                        {"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language"})


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


ROUTES = [service_worker, manifest, offline, static_files]
