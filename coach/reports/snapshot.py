"""Keep a large project's computed reports for a few minutes, shared by every worker.

Disclosure control needs every group of the project at once, so a report of
thousands of groups takes seconds, whichever scope is asked for. When computing
took longer than SLOW_SECONDS, the report of every scope is stored, and views of
any scope within SNAPSHOT_MINUTES read their row instead. Small projects compute in
well under a second and never store one, so their reports are always current.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from coach.audit.log import now
from coach.reports.tables import ReportSnapshot

SLOW_SECONDS = 1.0
SNAPSHOT_MINUTES = 10
INSERT_BATCH = 500


def scope_code(scope_key: tuple) -> str:
    """Return a scope key as stored: "all", "year:2025" or "group:17"."""
    return ":".join(str(part) for part in scope_key)


async def fresh(kind: str, scope_key: tuple) -> tuple[Any, dt.datetime] | None:
    """Return a stored payload of the scope and when it was computed, if it is recent."""
    row = await ReportSnapshot.select(ReportSnapshot.payload, ReportSnapshot.computed_at).where(
        (ReportSnapshot.kind == kind) & (ReportSnapshot.scope == scope_code(scope_key))
        & (ReportSnapshot.computed_at > now() - dt.timedelta(minutes=SNAPSHOT_MINUTES))
    ).order_by(ReportSnapshot.computed_at, ascending=False).first().output(load_json=True)
    return (row["payload"], row["computed_at"]) if row else None


async def store(kind: str, payloads: dict[tuple, Any]) -> None:
    """Replace the stored payloads of a kind with one row per scope."""
    moment = now()
    # Thousands of scopes are megabytes of JSON: written out in a thread, not on the loop.
    texts = await asyncio.to_thread(
        lambda: {key: json.dumps(payload, separators=(",", ":"))
                 for key, payload in payloads.items()})
    rows = [ReportSnapshot(kind=kind, scope=scope_code(key), computed_at=moment,
                           payload=text) for key, text in texts.items()]
    async with ReportSnapshot._meta.db.transaction():
        # Older kinds (yesterday's, another policy's) go too: a snapshot is only a cache.
        await ReportSnapshot.delete().where(
            (ReportSnapshot.kind == kind)
            | (ReportSnapshot.computed_at < moment - dt.timedelta(minutes=SNAPSHOT_MINUTES))
        )
        for start in range(0, len(rows), INSERT_BATCH):
            await ReportSnapshot.insert(*rows[start:start + INSERT_BATCH])


async def remembered(kind: str, scope_key: tuple,
                     compute: Callable[[], Awaitable[dict[tuple, Any]]],
                     ) -> tuple[Any, dt.datetime | None]:
    """Return the payload of a scope, and when it was computed if it comes from a snapshot.

    `compute` returns the payload of every scope; it is stored when it was slow.
    """
    stored = await fresh(kind, scope_key)
    if stored is not None:
        return stored
    started = time.monotonic()
    payloads = await compute()
    if time.monotonic() - started >= SLOW_SECONDS:
        await store(kind, payloads)
    return payloads[scope_key], None
