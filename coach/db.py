"""Database engines: SQLite tuned for a web server, or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import random
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.query.methods.objects import Objects
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString
from piccolo.table import Table

from coach.settings import DatabaseConfig, make_private_dir, make_private_file

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# A read in WAL mode waits only in rare moments (another process recovering the log);
# it runs on the event loop, so it may not wait long.
READ_BUSY_TIMEOUT_SECONDS = 5
STATEMENT_CACHE_SIZE = 256


# Set while code runs statements that may read for seconds (a report over a whole project):
# on SQLite their reads then run in a worker thread, so the event loop goes on answering.
_long_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("long_reads", default=False)


@contextlib.contextmanager
def long_reads() -> Iterator[None]:
    """Mark the reads inside the block as possibly long: on SQLite they leave the event loop.

    A SELECT on the loop costs microseconds and a thread hop about a hundred, so only code
    that may read a whole project's rows asks for this (PostgreSQL never blocks the loop).
    """
    token = _long_reads.set(True)
    try:
        yield
    finally:
        _long_reads.reset(token)


READ_STATEMENT = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)


def _is_read(sql: str) -> bool:
    """Say whether a statement only reads; anything else takes the write path.

    A WITH (a common table expression) usually leads to a SELECT. Taken for a write, the
    reports' counts held SQLite's write lock for seconds, and every save in every worker
    waited. Should one lead to an INSERT, UPDATE or DELETE, the reader refuses it
    (query_only), so a write can never slip past the write lock.
    """
    return READ_STATEMENT.match(sql) is not None


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """Fetch every row as a dict (and so end the statement's read snapshot)."""
    rows = cursor.fetchall()
    if cursor.description is None:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


class _AsyncConnection:
    """The writer connection as Piccolo's transaction and savepoint code expect it."""

    def __init__(self, connection: sqlite3.Connection):
        self.raw = connection

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return _rows(self.raw.execute(sql, args))

    async def close(self) -> None:
        """Kept open: the engine owns it."""


class ServerTransaction(SQLiteTransaction):
    """A write transaction on the process's one writer connection.

    The engine's lock lets one transaction of this process at a time use the writer;
    BEGIN IMMEDIATE then takes SQLite's write lock, waiting for other processes without
    blocking the event loop. Nested transactions join the outer one, as in Piccolo.
    """

    async def __aenter__(self) -> ServerTransaction:
        if self._parent is not None:
            return self._parent
        engine: ServerSQLiteEngine = self.engine
        self._lock = engine.write_lock()
        await self._lock.acquire()
        try:
            self.connection = _AsyncConnection(engine.writer())
            await engine.begin_immediate(self.connection.raw)
        except BaseException:
            self._lock.release()
            raise
        self.context = engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            if self.connection.raw.in_transaction:  # a failed COMMIT leaves it open
                self.connection.raw.execute("ROLLBACK")
            self.engine.current_transaction.reset(self.context)
            self._lock.release()
        return exception is None


class ServerSQLiteEngine(SQLiteEngine):
    """SQLite for a web server: WAL, connections kept open, IMMEDIATE write transactions.

    Piccolo's stock engine opens a new aiosqlite connection (a thread and a file handle)
    and sets a PRAGMA for every statement outside a transaction; that cost more than the
    rest of a page. Here each process (each thread running an event loop, in fact) keeps
    two connections, their PRAGMAs set once:

    - a reader: every SELECT outside a transaction runs on it, on the event loop (a
      statement takes microseconds; in WAL mode a read never waits for a writer). It is
      in autocommit mode and every statement is read to the end, so no read snapshot is
      held between statements and each one sees what other processes committed. Reads
      marked with long_reads() run in a worker thread instead, on that thread's reader,
      while the loop serves other requests (sqlite3 lets go of the GIL as SQLite works).
    - a writer: transactions and single writes, one at a time per event loop (an asyncio
      lock), each in BEGIN IMMEDIATE. A DEFERRED transaction that reads and then writes
      can fail at once with "database is locked" when another writer got there first;
      IMMEDIATE takes the write lock up front. While another process (or thread) holds
      it, BEGIN is retried with short sleeps, up to the busy timeout, so the event loop
      never blocks.

    Connections belong to one thread: the tests race requests from threads, each with
    its own event loop, and those then meet at SQLite's lock as processes do.
    """

    def __init__(self, path: str, **kwargs):
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs)
        self._local = threading.local()
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    # Connections ---------------------------------------------------------------------

    def _connect(self, busy_timeout: float, *, query_only: bool = False) -> sqlite3.Connection:
        kwargs = {**self.connection_kwargs, "timeout": busy_timeout,
                  "cached_statements": STATEMENT_CACHE_SIZE}
        connection = sqlite3.connect(**kwargs)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode
        if query_only:
            connection.execute("PRAGMA query_only = ON")
        return connection

    def _connections(self) -> threading.local:
        """This thread's connections, each opened on first use (a forked worker opens its own)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.pid = os.getpid()
            local.reader = local.writer = None
        return local

    def reader(self) -> sqlite3.Connection:
        local = self._connections()
        if local.reader is None:
            local.reader = self._connect(READ_BUSY_TIMEOUT_SECONDS, query_only=True)
        return local.reader

    def writer(self) -> sqlite3.Connection:
        local = self._connections()
        if local.writer is None:
            # Never waits inside SQLite: begin_immediate() does the waiting.
            local.writer = self._connect(0)
        return local.writer

    def close(self) -> None:
        """Close this thread's connections (they reopen on the next statement)."""
        local = self._local
        if getattr(local, "pid", None) == os.getpid():
            for connection in (local.reader, local.writer):
                if connection is not None:
                    connection.close()
        local.pid = None

    def write_lock(self) -> asyncio.Lock:
        """The lock of the writer, one per event loop (the tests run more than one)."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def begin_immediate(self, connection: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, waiting (asynchronously) while another process writes."""
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
        pause = 0.0005
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause * (0.5 + random.random()))  # noqa: S311 (jitter)
            pause = min(pause * 2, 0.02)

    # Piccolo's entry points ----------------------------------------------------------

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> ServerTransaction:
        # Every transaction is IMMEDIATE on the writer, whatever type is asked for.
        return ServerTransaction(engine=self, transaction_type=TransactionType.immediate,
                                 allow_nested=allow_nested)

    async def _execute(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        current = self.current_transaction.get()
        if current is not None:
            return _rows(current.connection.raw.execute(sql, args))
        if _is_read(sql):
            if _long_reads.get():
                return await asyncio.to_thread(self._read, sql, args)
            return self._read(sql, args)
        async with self.transaction():  # a single write: its own short transaction
            return _rows(self.writer().execute(sql, args))

    def _read(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        """Run a SELECT on the calling thread's reader."""
        return _rows(self.reader().execute(sql, args))

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._execute(sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._execute(ddl, ())
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    def enable_wal(self) -> None:
        """Switch the file to write-ahead logging (persistent per file)."""
        with sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
            connection.execute("PRAGMA journal_mode = WAL")


# --- what differs between the engines -------------------------------------------------------
#
# Locks: PostgreSQL runs transactions side by side, so code that reads and then writes
# locks what it read. SQLite needs nothing: every write transaction here begins IMMEDIATE
# (ServerTransaction), so it holds the database's one write lock from its first statement to
# its end, and any other writer, in this process or another, waits for all of it.

Query = TypeVar("Query", Select, Objects)


def is_postgres(table: type[Table]) -> bool:
    """Say whether the table is stored in PostgreSQL (else in SQLite)."""
    return table._meta.db.engine_type == "postgres"


def row_locked(query: Query, strength: str = "UPDATE") -> Query:
    """Return the query, made to lock the rows it reads until the transaction ends.

    strength: UPDATE, or SHARE to let other transactions that only read the rows go on.
    """
    # Piccolo refuses FOR UPDATE on SQLite, which has no row locks (see above).
    return query.lock_rows(strength) if is_postgres(query.table) else query


async def lock_key(table: type[Table], namespace: int, key: int) -> None:
    """Wait for the lock of (namespace, key), held until the transaction ends.

    For what has no row to lock yet (a link about to be made, a sign-in counter); the
    namespace keeps one use of these locks apart from another. Nothing to do on SQLite.
    """
    if is_postgres(table):
        await table.raw("SELECT pg_advisory_xact_lock({}, {})", namespace, key)


SQLITE_SUFFIXES = ("", "-wal", "-shm")


def make_private_sqlite(path: Path) -> None:
    """Create the data folder (0700) and the database file (0600), whatever the umask.

    SQLite gives the -wal and -shm files the permissions of the database file.
    """
    make_private_dir(path.parent)
    if not path.exists():
        make_private_file(path)


def open_to_others(path: Path) -> list[Path]:
    """Return the data folder and database files that someone besides the owner may use."""
    candidates = [path.parent, *(Path(f"{path}{suffix}") for suffix in SQLITE_SUFFIXES)]
    return [item for item in candidates if item.exists() and item.stat().st_mode & 0o077]


# One engine per database in a process, so that its connections are opened once
# (create_app is called again for every test, and by `coach` commands).
_SQLITE_ENGINES: dict[str, ServerSQLiteEngine] = {}
_POSTGRES_ENGINES: dict[str, LoopPostgresEngine] = {}


class LoopPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, whose connection pool belongs to the loop that opened it.

    asyncpg's connections work only on the event loop that made them. A pool used from
    another loop fails in obscure ways, so here each loop sees only its own pool: code on
    a loop without one (a command's asyncio.run, a test's own loop) opens a connection per
    statement, as Piccolo does with no pool at all. A server has one loop and one pool.
    """

    @property
    def pool(self):
        loop = _running_loop()
        return None if loop is None else self._pools.get(loop)

    @pool.setter
    def pool(self, value) -> None:
        loop = _running_loop()
        if loop is None:
            if value is not None:
                raise RuntimeError("a connection pool is opened on an event loop")
            return  # Piccolo's __init__ says there is no pool yet
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value

    @property
    def _pools(self) -> weakref.WeakKeyDictionary:
        return self.__dict__.setdefault("_pools", weakref.WeakKeyDictionary())


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def make_engine(config: DatabaseConfig) -> Engine:
    """Return the Piccolo engine for the configured database."""
    if config.engine == "sqlite":
        assert config.path is not None
        make_private_sqlite(config.path)
        key = str(config.path.resolve())
        engine = _SQLITE_ENGINES.get(key)
        if engine is None:
            engine = _SQLITE_ENGINES[key] = ServerSQLiteEngine(path=str(config.path))
            engine.enable_wal()  # stored in the file: once per engine is enough
        return engine
    connection = {"host": config.host, "port": config.port, "user": config.user,
                  "password": config.password, "database": config.database}
    # The same engine for the same database: the pools it holds (one per event loop) are
    # found again by the next app or command made in this process.
    key = repr(sorted(connection.items()))
    if key not in _POSTGRES_ENGINES:
        _POSTGRES_ENGINES[key] = LoopPostgresEngine(config=connection)
    return _POSTGRES_ENGINES[key]
