"""Write audit events. Nothing in the app deletes them; only erasure edits one kind of detail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.audit.tables import AuditEvent
from coach.db import is_postgres


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
    """Remove these keys from the details of the events about one record, in one UPDATE.

    Only an "unlink" erasure does this: the ids of the rows it keeps would lead from
    the erased person's events to the anonymous copy that now holds those rows. Only a
    detail that is an object holding one of the keys is rewritten; its other keys keep
    their values and their order (the audit page lists them in it).
    """
    if not keys:
        return
    if is_postgres(AuditEvent):
        # The object is built again from its other pairs: jsonb's "-" would also sort
        # the keys. The column is json, so the pairs come in their stored order. CASE: only
        # an object has keys to look at (json_object_keys refuses anything else).
        await AuditEvent.raw(
            """
            UPDATE audit_event SET detail = (
                SELECT COALESCE(json_object_agg(pair.k, pair.v ORDER BY pair.n),
                                json_build_object())
                FROM json_each(detail) WITH ORDINALITY AS pair(k, v, n)
                WHERE pair.k <> ALL({}::text[]))
            WHERE target_type = {} AND target_id = {} AND CASE
                WHEN json_typeof(detail) = 'object' THEN EXISTS (
                    SELECT FROM json_object_keys(detail) AS k WHERE k = ANY({}::text[]))
                ELSE false END
            """,
            list(keys), target_type, target_id, list(keys),
        )
        return
    marks = ", ".join("{}" for _key in keys)
    await AuditEvent.raw(
        f"""
        UPDATE audit_event SET detail = json_remove(detail, {marks})
        WHERE target_type = {{}} AND target_id = {{}} AND json_type(detail) = 'object'
            AND EXISTS (SELECT 1 FROM json_each(detail) WHERE key IN ({marks}))
        """,  # noqa: S608 (only placeholders are formatted in)
        *[f'$."{key}"' for key in keys], target_type, target_id, *keys,
    )
