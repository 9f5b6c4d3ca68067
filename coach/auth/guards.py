"""Role guards for route handlers: guards=[require_roles("coach", "admin")].

Guards are async so that Litestar calls them directly instead of in a worker thread.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from coach.auth.actor import STAFF_ROLES, Actor

KNOWN_ROLES = frozenset((*STAFF_ROLES, "participant"))


def require_roles(*roles: str) -> Guard:
    """Return a guard that lets only actors with one of these roles through (403 otherwise)."""
    unknown = set(roles) - KNOWN_ROLES
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor):
            raise NotAuthorizedException()
        if actor.role not in allowed:
            raise PermissionDeniedException()

    guard.__name__ = f"require_roles({', '.join(sorted(allowed))})"
    guard.roles = allowed  # type: ignore[attr-defined]  (read by the authentication middleware)
    return guard


async def require_together(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Let only a coach's phone in "fill in together" mode through."""
    actor = connection.scope.get("user")
    if not isinstance(actor, Actor) or not actor.together:
        raise PermissionDeniedException()


require_together.roles = frozenset({"participant"})  # type: ignore[attr-defined]


def admits_participants(handler: BaseRouteHandler) -> bool:
    """Say whether a route names participants among its roles.

    Participant sessions (and coaches' phones in "fill in together" mode) reach only
    such routes, even where a route forgot its guard.
    """
    return any(
        "participant" in getattr(getattr(guard, "func", guard), "roles", ())
        for guard in handler.resolve_guards()
    )


staff_only = require_roles(*STAFF_ROLES)
