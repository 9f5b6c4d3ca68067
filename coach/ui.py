"""Helpers the page layout uses: versioned static URLs, links by route name, the main menu."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from jinja2 import pass_context
from litestar import Request
from litestar.exceptions import NoRouteMatchFoundException

from coach.i18n import gettext as _
from coach.settings import FRONTEND_DIR

STATIC_DIR = FRONTEND_DIR / "static"


def content_version(data: bytes) -> str:
    """Return a short hash of a file's bytes: its version in URLs, so a change gets a new URL."""
    return hashlib.sha256(data).hexdigest()[:10]


@cache
def asset_version(path: str) -> str:
    """Return the version of a static file."""
    return content_version((STATIC_DIR / path).read_bytes())


def static_url(path: str) -> str:
    """Return the URL of a file under frontend/static, with its version."""
    return f"/static/{path}?v={asset_version(path)}"


def url(request: Request, name: str, **params: object) -> str | None:
    """Return the path of a named route, or None while no feature provides it."""
    try:
        return request.app.route_reverse(name, **params)
    except NoRouteMatchFoundException:
        return None


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


def menu(role: str) -> list[tuple[str, str]]:
    """Return (route name, label) of the main menu for a role, in the current language.

    Routes that do not exist (yet) are left out by nav_items, so a feature appears
    in the menu as soon as its route is registered.
    """
    menus = {
        "coach": [("home", _("My groups"))],
        "admin": [("home", _("Home")), ("admin.groups", _("Groups")),
                  ("admin.users", _("Users")), ("admin.audit", _("Audit log")),
                  ("reports", _("Reports")), ("exports", _("Exports"))],
        "evaluator": [("home", _("Home")), ("reports", _("Reports")), ("exports", _("Exports"))],
        "participant": [("participant.home", _("My progress"))],
    }
    return menus.get(role, [])


@pass_context
def nav_items(context) -> list[NavItem]:
    """Return the menu of the signed-in user, marking the page they are on."""
    request: Request | None = context.get("request")
    if request is None:
        return []
    actor = request.scope.get("user")
    if actor is None or getattr(actor, "together", False):
        # A phone handed to a participant shows nothing of the coach's.
        return []
    items = []
    for name, label in menu(getattr(actor, "role", "")):
        href = url(request, name)
        if href is None:
            continue
        current = request.url.path == href or (href != "/" and request.url.path.startswith(href))
        items.append(NavItem(label=label, href=href, current=current))
    return items


@pass_context
def route_url(context, name: str, **params: object) -> str | None:
    """Return the path of a named route from a template, or None if there is none."""
    request = context.get("request")
    return url(request, name, **params) if request is not None else None


def template_globals() -> dict[str, object]:
    """Return the functions base.html and the partials use."""
    from coach.flash import flashed_messages

    return {
        "static": static_url,
        "nav_items": nav_items,
        "route_url": route_url,
        "flashed_messages": flashed_messages,
    }
