"""A tick, a meeting edit and a delete at the same moment finish without a deadlock.

Each writes the meeting row and its attendance rows. A tick (set_attendance) that wrote
its attendance row first, while an edit (update_meeting) held the meeting row, would wait
for the edit as the edit waits for it; PostgreSQL then aborts one with "deadlock
detected". The same held for a delete (delete_meeting), which deleted the attendance
first. All take the meeting row first, so the second one waits for the first to end.

The tests force that moment: the first operation makes its first write, the second starts
then and makes its own (or is seen waiting for the first), and only then do both go on. On
PostgreSQL the wait is seen in pg_blocking_pids; SQLite runs one write transaction at a
time, so there the second cannot start before the first ends and the first goes on after
a short wait.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import time

import pytest

from coach.db import is_postgres
from coach.forms import today
from coach.meetings import services as meetings
from coach.meetings.tables import Attendance, Meeting
from tests.coach_world import make_world

WRITES = ("UPDATE", "INSERT", "DELETE")
TABLES = ('"meeting"', '"attendance"', " meeting ", " attendance ")
# How long the first operation waits for the second on SQLite, where it cannot come.
SQLITE_WAIT_SECONDS = 0.3
# On PostgreSQL the second one writes or waits for the first within this time, or the test
# is wrong (the run then goes on and the outcome is still checked).
POSTGRES_WAIT_SECONDS = 10

ROLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("role", default=None)



def is_meeting_write(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith(WRITES) and any(name in sql.lower().split("where")[0]
                                           for name in TABLES)


class FirstWritesThenSecond:
    """Hold two operations at their first write to a meeting or its attendance.

    `first` makes its first write (the test starts `second` only then); `first` waits until
    `second` has written or is waiting for a lock `first` holds; then both go on.
    """

    def __init__(self, first: str, second: str):
        self.first, self.second = first, second
        self.wrote = {first: asyncio.Event(), second: asyncio.Event()}
        self.first_writes: dict[str, str] = {}
        self.second_pid: int | None = None
        self.first_pid: int | None = None
        self.second_seen_waiting = False

    async def _pid(self) -> int:
        rows = await Meeting.raw("SELECT pg_backend_pid() AS pid")
        return rows[0]["pid"]

    async def _second_waits_for_first(self) -> bool:
        if self.second_pid is None or self.first_pid is None:
            return False
        rows = await Meeting.raw("SELECT pg_blocking_pids({}) AS pids", self.second_pid)
        return self.first_pid in (rows[0]["pids"] or [])

    async def before(self, role: str, sql: str) -> None:
        if role == self.second and is_postgres(Meeting):
            self.second_pid = await self._pid()

    async def after(self, role: str, sql: str) -> None:
        self.first_writes[role] = sql.split("SET")[0].strip()
        self.wrote[role].set()
        if role != self.first:
            return
        if not is_postgres(Meeting):
            try:
                await asyncio.wait_for(self.wrote[self.second].wait(), SQLITE_WAIT_SECONDS)
            except TimeoutError:
                pass
            return
        self.first_pid = await self._pid()
        deadline = time.monotonic() + POSTGRES_WAIT_SECONDS
        while not self.wrote[self.second].is_set() and time.monotonic() < deadline:
            if await self._second_waits_for_first():
                self.second_seen_waiting = True
                return
            await asyncio.sleep(0.01)


@pytest.fixture
def interleave(monkeypatch):
    """Return a function that installs FirstWritesThenSecond on the database engine."""

    def install(first: str, second: str) -> FirstWritesThenSecond:
        plan = FirstWritesThenSecond(first, second)
        engine = Meeting._meta.db
        assert Attendance._meta.db is engine
        real = type(engine).run_querystring
        held: set[str] = set()

        async def spied(self, querystring, *args, **kwargs):
            role = ROLE.get()
            sql = querystring.compile_string(engine_type=engine.engine_type)[0]
            hold = role is not None and role not in held and is_meeting_write(sql)
            if hold:
                held.add(role)
                await plan.before(role, sql)
            result = await real(self, querystring, *args, **kwargs)
            if hold:
                await plan.after(role, sql)
            return result

        # On the class: PostgresEngine has slots, so an instance attribute cannot be set.
        monkeypatch.setattr(type(engine), "run_querystring", spied)
        return plan

    return install


async def as_role(role: str, operation):
    ROLE.set(role)  # each task has its own copy of the context
    return await operation


async def meeting_of(w) -> Meeting:
    cleaned = {"held_on": today() - dt.timedelta(days=1), "duration_minutes": 75,
               "themes": ["sleep"], "present": {w.ben.id}, "private_note": ""}
    return await meetings.create_meeting(w.group.id, cleaned, w.coach.id)


async def fresh(meeting: Meeting) -> Meeting:
    return await Meeting.objects().get(Meeting.id == meeting.id)


async def ticks(meeting_id: int) -> dict[int, bool]:
    rows = await Attendance.select(Attendance.participant, Attendance.present).where(
        Attendance.meeting == meeting_id)
    return {row["participant"]: bool(row["present"]) for row in rows}


def edited(meeting: Meeting, present: set[int]) -> dict:
    return {"held_on": meeting.held_on, "duration_minutes": 30, "themes": ["sleep"],
            "present": present, "private_note": "Edited"}


async def operation(name: str, w, meeting: Meeting, version: int):
    """tick: Anna present. edit: Ben only, 30 minutes, from `version`. delete."""
    loaded = await fresh(meeting)
    if name == "tick":
        return await meetings.set_attendance(loaded, w.anna.id, True, w.coach.id)
    if name == "edit":
        return await meetings.update_meeting(loaded, edited(meeting, {w.ben.id}), version,
                                             w.coach.id)
    return await meetings.delete_meeting(loaded)


async def race(w, interleave, first: str, second: str):
    """Run two operations on one meeting, held at their first writes; return the results."""
    meeting = await meeting_of(w)
    version = meeting.version
    plan = interleave(first, second)
    started = asyncio.ensure_future(as_role(first, operation(first, w, meeting, version)))
    await asyncio.wait_for(plan.wrote[first].wait(), 30)
    then = asyncio.ensure_future(as_role(second, operation(second, w, meeting, version)))
    done = await asyncio.wait_for(asyncio.gather(started, then, return_exceptions=True), 60)
    results = {first: done[0], second: done[1]}
    errors = [result for result in results.values() if isinstance(result, BaseException)]
    assert not errors, f"{errors} (first writes: {plan.first_writes})"
    # Each got to its first write while the other held its own: the moment was forced.
    assert set(plan.first_writes) == {first, second}
    if is_postgres(Meeting):
        assert plan.second_seen_waiting, plan.first_writes
    return meeting, version, results


async def test_a_tick_during_an_edit_waits_for_it_and_is_saved_after_it(interleave):
    w = await make_world()
    meeting, version, results = await race(w, interleave, "edit", "tick")
    assert results == {"tick": True, "edit": True}
    after = await fresh(meeting)
    assert (after.version, after.duration_minutes) == (version + 2, 30)
    assert await ticks(meeting.id) == {w.anna.id: True, w.ben.id: True}


async def test_an_edit_during_a_tick_waits_for_it_and_is_refused_as_outdated(interleave):
    """The edit was rendered before the tick, so it may not undo it: the conflict page."""
    w = await make_world()
    meeting, version, results = await race(w, interleave, "tick", "edit")
    assert results == {"tick": True, "edit": False}
    after = await fresh(meeting)
    assert (after.version, after.duration_minutes) == (version + 1, 75)
    assert await ticks(meeting.id) == {w.anna.id: True, w.ben.id: True}


@pytest.mark.parametrize("other", ["tick", "edit"])
async def test_a_change_during_a_delete_waits_and_finds_the_meeting_gone(interleave, other):
    w = await make_world()
    meeting, _version, results = await race(w, interleave, "delete", other)
    assert results == {"delete": None, other: False}  # the routes answer 400 and 404
    assert await Meeting.count() == 0 and await Attendance.count() == 0


@pytest.mark.parametrize("other", ["tick", "edit"])
async def test_a_delete_during_a_change_waits_for_it_and_deletes(interleave, other):
    w = await make_world()
    meeting, _version, results = await race(w, interleave, other, "delete")
    assert results == {other: True, "delete": None}
    assert await Meeting.count() == 0 and await Attendance.count() == 0
