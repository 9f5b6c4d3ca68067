"""Audit from a request: the actor and address come from the request itself."""

from __future__ import annotations

from typing import Any

from litestar import Request

from coach.audit.log import record
from coach.auth.actor import Actor


def client_ip(request: Request) -> str:
    """Return the client's address (uvicorn has applied trusted proxy headers already)."""
    return request.client.host if request.client else ""


async def audit(
    request: Request,
    action: str,
    target_type: str = "",
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit event for the signed-in actor of this request."""
    actor = request.scope.get("user")
    await record(
        action,
        actor_user_id=actor.user_id if isinstance(actor, Actor) else None,
        actor_label=actor.audit_label if isinstance(actor, Actor) else "anonymous",
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        ip=client_ip(request),
    )
