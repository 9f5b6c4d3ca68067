"""Write audit events. Nothing in the app updates or deletes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.audit.tables import AuditEvent


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def record(
    action: str,
    *,
    actor_user_id: int | None = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Append one audit event."""
    await AuditEvent.insert(
        AuditEvent(
            occurred_at=now(),
            actor_user_id=actor_user_id,
            actor_label=actor_label[:80],
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail or {},
            ip=ip[:45],
        )
    )
