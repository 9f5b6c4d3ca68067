"""Write audit events. Nothing in the app deletes them; only erasure edits one kind of detail."""

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


async def forget_detail_keys(target_type: str, target_id: int, keys: tuple[str, ...]) -> None:
    """Remove these keys from the details of the events about one record.

    Only an "unlink" erasure does this: the ids of the rows it keeps would lead from
    the erased person's events to the anonymous copy that now holds those rows.
    """
    events = await (AuditEvent.select(AuditEvent.id, AuditEvent.detail)
                    .where((AuditEvent.target_type == target_type)
                           & (AuditEvent.target_id == target_id))
                    .output(load_json=True))
    for event in events:
        detail = event["detail"]
        if isinstance(detail, dict) and any(key in detail for key in keys):
            kept = {key: value for key, value in detail.items() if key not in keys}
            await AuditEvent.update({AuditEvent.detail: kept}).where(AuditEvent.id == event["id"])
