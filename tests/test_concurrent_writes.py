"""Fifty writers at once: no "database is locked", no lost row."""

import asyncio

from coach.audit.log import now
from coach.audit.tables import AuditEvent
from coach.db import row_locked
from coach.groups.tables import CoachingGroup
from tests.factories import make_group

WRITERS = 50


async def test_fifty_concurrent_single_writes_all_land():
    async def write(n: int) -> None:
        await AuditEvent.insert(AuditEvent(occurred_at=now(), action="test.write", target_id=n))

    await asyncio.gather(*(write(n) for n in range(WRITERS)))
    rows = await AuditEvent.select(AuditEvent.target_id).where(AuditEvent.action == "test.write")
    assert sorted(row["target_id"] for row in rows) == list(range(WRITERS))


async def test_fifty_concurrent_read_then_write_transactions_lose_nothing():
    # Each writer reads a counter and writes it back plus one: a lost update or a
    # "database is locked" error would show as a final value below 1 + WRITERS.
    # PostgreSQL's READ COMMITTED would lose updates here by design without row_locked's
    # FOR UPDATE; on SQLite the write transaction alone keeps them apart.
    group = await make_group(usual_duration_minutes=1)
    engine = CoachingGroup._meta.db

    async def increment() -> None:
        async with engine.transaction():
            current = await row_locked(
                CoachingGroup.select(CoachingGroup.usual_duration_minutes)
                .where(CoachingGroup.id == group.id)
            ).first()
            await asyncio.sleep(0)  # let the other writers interleave
            await CoachingGroup.update(
                {CoachingGroup.usual_duration_minutes: current["usual_duration_minutes"] + 1}
            ).where(CoachingGroup.id == group.id)

    results = await asyncio.gather(*(increment() for _ in range(WRITERS)), return_exceptions=True)
    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    final = (
        await CoachingGroup.select(CoachingGroup.usual_duration_minutes)
        .where(CoachingGroup.id == group.id)
        .first()
    )
    assert final["usual_duration_minutes"] == 1 + WRITERS
