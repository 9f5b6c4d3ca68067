"""Role guards for route handlers: guards=[require_roles("coach", "admin")]."""

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

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor):
            raise NotAuthorizedException()
        if actor.role not in allowed:
            raise PermissionDeniedException()

    guard.__name__ = f"require_roles({', '.join(sorted(allowed))})"
    return guard


def require_together(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Let only a coach's phone in "fill in together" mode through."""
    actor = connection.scope.get("user")
    if not isinstance(actor, Actor) or not actor.together:
        raise PermissionDeniedException()


staff_only = require_roles(*STAFF_ROLES)
