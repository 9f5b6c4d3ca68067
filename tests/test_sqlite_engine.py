"""The engine under the pages: few statements per request, SQLite connections kept open.

The SQLite tests check what keeping connections open must not break: other processes'
commits are seen at once, no read snapshot is held between statements, a writer in
another process is waited for without blocking the event loop, and a failed
transaction (nested or not) leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time

import pytest
from piccolo.querystring import QueryString

from coach import piccolo_app
from coach.auth.sessions import create_session
from coach.db import ServerSQLiteEngine, long_reads
from tests.auth_helpers import sign_in_directly
from tests.factories import make_user


def engine():
    return piccolo_app.TABLES[0]._meta.db


@pytest.fixture
def statements(monkeypatch):
    """Record every SQL statement the engine runs."""
    seen: list[str] = []
    kind = type(engine())  # patched on the class: PostgresEngine has __slots__
    run_querystring, run_ddl = kind.run_querystring, kind.run_ddl

    async def counted_querystring(self, querystring, *args, **kwargs):
        seen.append(str(querystring))
        return await run_querystring(self, querystring, *args, **kwargs)

    async def counted_ddl(self, ddl, *args, **kwargs):
        seen.append(ddl)
        return await run_ddl(self, ddl, *args, **kwargs)

    monkeypatch.setattr(kind, "run_querystring", counted_querystring)
    monkeypatch.setattr(kind, "run_ddl", counted_ddl)
    return seen


@pytest.fixture
def lite(tmp_path):
    """A ServerSQLiteEngine of its own (whatever engine the run uses), with one table."""
    path = tmp_path / "engine.sqlite3"
    db = ServerSQLiteEngine(path=str(path))
    db.enable_wal()
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        setup.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
    yield db
    db.close()


async def sql(db, statement: str, *args):
    return await db.run_querystring(QueryString(statement, *args))


async def count(db) -> int:
    return (await sql(db, "SELECT COUNT(*) AS c FROM counter"))[0]["c"]


async def signed_in_coach(client):
    coach = await make_user("speedy", "coach")
    await sign_in_directly(client, user=coach)
    return coach


@pytest.mark.parametrize("path", ["/static/app.js", "/static/app.css", "/sw.js"])
async def test_static_and_service_worker_files_run_no_statement(client, statements, path):
    await signed_in_coach(client)
    statements.clear()
    response = await client.get(path)
    assert response.status_code == 200
    assert statements == []


async def test_a_signed_in_request_finds_session_and_user_in_one_statement(client, statements):
    await signed_in_coach(client)
    statements.clear()
    response = await client.get("/healthz")
    assert response.status_code == 200
    # One for the session with its user, one for the health check's SELECT 1.
    assert len(statements) == 2, statements
    assert "web_session" in statements[0] and "user" in statements[0]


async def test_reads_see_what_another_process_committed_at_once(lite):
    assert (await sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"] == 0
    with sqlite3.connect(lite.path, timeout=5) as other:  # as another worker would
        other.execute("UPDATE counter SET n = 75 WHERE id = 1")
    assert (await sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"] == 75


async def test_no_read_snapshot_is_held_between_statements(lite):
    await sql(lite, "SELECT * FROM counter")
    await sql(lite, "UPDATE counter SET n = n + 1")
    assert not lite.reader().in_transaction
    assert not lite.writer().in_transaction
    # A full checkpoint succeeds only when no connection holds an old snapshot.
    with sqlite3.connect(lite.path, timeout=5) as other:
        busy, _log, _moved = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0


async def test_connections_are_opened_once_with_their_pragmas(lite, monkeypatch):
    await sql(lite, "SELECT 1")  # opens the reader
    await sql(lite, "UPDATE counter SET n = n WHERE id = 1")  # and the writer
    opened: list[str] = []
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect",
                        lambda *a, **k: opened.append("x") or real_connect(*a, **k))
    for number in range(5):
        await sql(lite, "SELECT * FROM counter")
        await sql(lite, "INSERT INTO counter (n) VALUES ({})", number)
        async with lite.transaction():
            await sql(lite, "UPDATE counter SET n = n + 1 WHERE id = 1")
    assert opened == []
    assert await count(lite) == 6
    for connection in (lite.reader(), lite.writer()):
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert lite.reader().execute("PRAGMA query_only").fetchone()[0] == 1
    assert lite.writer().execute("PRAGMA query_only").fetchone()[0] == 0


async def test_a_forked_worker_opens_its_own_connections(lite, monkeypatch):
    reader = lite.reader()
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as if this were a new process
    assert lite.reader() is not reader


async def test_waiting_for_another_process_s_write_lock_does_not_block_the_loop(lite):
    # Another "process" holds the write lock for 0.4 s; our write waits for it, and the
    # event loop keeps serving other work meanwhile.
    taken, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        other = sqlite3.connect(lite.path, timeout=5, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO counter (n) VALUES (100)")
        taken.set()
        release.wait(5)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert taken.wait(5)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def releaser() -> None:
        await asyncio.sleep(0.4)
        release.set()

    started = time.monotonic()
    await asyncio.gather(sql(lite, "INSERT INTO counter (n) VALUES (200)"), ticker(), releaser())
    thread.join(5)
    assert time.monotonic() - started >= 0.4  # it did wait for the other writer
    assert ticks >= 20  # and the loop ran meanwhile (0.4 s in 10 ms steps)
    assert await count(lite) == 3


# A read that takes a while: counting to a few million in a recursive table expression.
SLOW_READ = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {})"
             " SELECT COUNT(*) AS n FROM c")


def held_write_lock(path):
    """Another "process" holding SQLite's write lock; call the result to let it go."""
    other = sqlite3.connect(path, timeout=5, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("ROLLBACK")
        other.close()

    return release


async def test_a_read_led_by_with_takes_no_write_lock(lite):
    # The reports' counts begin with WITH. Taken for writes, they ran in BEGIN IMMEDIATE
    # and held the write lock for seconds; with another writer busy they would wait for it.
    release = held_write_lock(lite.path)
    try:
        started = time.monotonic()
        rows = await sql(lite, "WITH t AS (SELECT n FROM counter) SELECT COUNT(*) AS c FROM t")
        assert rows == [{"c": 1}]
        assert time.monotonic() - started < 1  # not the 30 s wait of a writer
        assert not lite.writer().in_transaction
    finally:
        release()


async def test_a_write_dressed_as_a_read_is_refused_not_run_outside_the_write_lock(lite):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await sql(lite, "WITH t AS (SELECT 5 AS v) INSERT INTO counter (n) SELECT v FROM t")
    assert await count(lite) == 1


async def test_long_reads_leave_the_event_loop_free(lite):
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    async def slow_read() -> int:
        await asyncio.sleep(0)  # let the ticker start
        started = time.monotonic()
        with long_reads():
            rows = await sql(lite, SLOW_READ.format(3_000_000))
        done.set()
        assert time.monotonic() - started > 0.1  # it did take a while
        return rows[0]["n"]

    count_read, _ = await asyncio.gather(slow_read(), ticker())
    assert count_read == 3_000_000
    assert ticks >= 10  # the loop ran while the thread read

    # The same read without long_reads() holds the loop: the ticker does not run at all.
    ticks, done = 0, asyncio.Event()

    async def read_on_loop() -> None:
        await asyncio.sleep(0)
        before = ticks
        await sql(lite, SLOW_READ.format(3_000_000))
        assert ticks == before
        done.set()

    await asyncio.gather(read_on_loop(), ticker())


async def test_fifty_read_then_write_transactions_lose_nothing(lite):
    async def increment() -> None:
        async with lite.transaction():
            current = (await sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"]
            await asyncio.sleep(0)  # let the others interleave
            await sql(lite, "UPDATE counter SET n = {} WHERE id = 1", current + 1)

    results = await asyncio.gather(*(increment() for _ in range(50)), return_exceptions=True)
    assert [result for result in results if isinstance(result, Exception)] == []
    assert (await sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"] == 50


async def test_a_failed_nested_transaction_leaves_nothing(lite):
    with pytest.raises(RuntimeError):
        async with lite.transaction():
            await sql(lite, "INSERT INTO counter (n) VALUES (1)")
            async with lite.transaction():
                await sql(lite, "INSERT INTO counter (n) VALUES (2)")
                raise RuntimeError("stop")
    assert await count(lite) == 1
    assert not lite.writer().in_transaction
    await sql(lite, "INSERT INTO counter (n) VALUES (3)")  # the writer is free again
    assert await count(lite) == 2


async def test_a_failed_single_write_frees_the_writer(lite):
    with pytest.raises(sqlite3.IntegrityError):
        await sql(lite, "INSERT INTO counter (n) VALUES (NULL)")
    assert not lite.writer().in_transaction
    await sql(lite, "INSERT INTO counter (n) VALUES (3)")
    assert await count(lite) == 2


async def test_the_written_out_session_query_gives_what_piccolo_s_select_gave(client):
    # find_session's SQL is written by hand for speed; it must give the same row, with
    # the same types, as the Piccolo select it replaced, for staff and participant sessions.
    from coach.auth.sessions import find_session, hash_token
    from coach.auth.tables import WebSession
    from tests.factories import make_group, make_participant

    coach = await make_user("typed", "coach", language="sv", must_change_password=True)
    group = await make_group(coaches=[coach])
    person = await make_participant(group, display_name="Pia")
    settings = client.app.state["settings"]
    for kwargs in ({"user_id": coach.id, "data": {"together": person.id}},
                   {"participant_id": person.id}):
        raw, _session_id = await create_session(settings, **kwargs)
        user, participant = WebSession.user, WebSession.participant
        expected = await WebSession.select(
            WebSession.id, WebSession.user, WebSession.participant, WebSession.data,
            WebSession.last_seen_at, WebSession.expires_at,
            user.username, user.display_name, user.role, user.is_active, user.language,
            user.must_change_password,
            participant.display_name, participant.erased_at, participant.group.closed_at,
        ).where(WebSession.token_hash == hash_token(raw)).output(load_json=True).first()
        found = await find_session(settings, raw)
        assert found == expected
        assert isinstance(found.pop("data"), dict)  # Piccolo's is a dict subclass
        expected.pop("data")
        assert {key: type(value) for key, value in found.items()} == {
            key: type(value) for key, value in expected.items()}
    assert await find_session(settings, "no-such-session") is None


def test_event_loops_in_two_threads_write_at_once_without_loss(lite):
    # The tests race requests from threads, each with its own event loop: their
    # transactions must not share a connection, and must wait for each other.
    async def increments() -> None:
        for _ in range(25):
            async with lite.transaction():
                current = (await sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"]
                await asyncio.sleep(0)
                await sql(lite, "UPDATE counter SET n = {} WHERE id = 1", current + 1)

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(increments())
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert asyncio.run(sql(lite, "SELECT n FROM counter WHERE id = 1"))[0]["n"] == 50
