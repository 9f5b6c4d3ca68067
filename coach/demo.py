"""The `coach demo` command: fill an empty database with realistic demo data.

The rows come from coach.demo_data and are written with bulk inserts: raw sqlite3
`executemany` in one IMMEDIATE transaction per batch on SQLite, COPY on PostgreSQL.
Piccolo's per-object save would take hours for the benchmark's 50,000 participants.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import sqlite3
import sys
import time
from typing import TextIO

from coach import piccolo_app
from coach.accounts.passwords import hash_password
from coach.audit.log import record
from coach.db import is_postgres
from coach.demo_data import COLUMNS, DEMO_USERS, DemoData, group_sizes
from coach.i18n import gettext as _
from coach.migrate import migrate_forwards
from coach.participants.tables import Participant

# Rows buffered before they are written in one transaction.
BATCH_ROWS = 200_000


class DemoRefused(Exception):
    """The demo cannot run here; the message says why."""


class Progress:
    """A one-line progress bar on stderr; a line per tenth when stderr is not a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.shown_tenth = 0

    def update(self, done: int) -> None:
        fraction = min(done / self.total, 1.0)
        now = time.monotonic()
        if self.tty:
            if now - self.shown_at < 0.1 and done < self.total:
                return
            self.shown_at = now
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {fraction:4.0%} "
                              f"{done:,}/{self.total:,} {self._elapsed(now)}")
        elif int(fraction * 10) > self.shown_tenth:
            self.shown_tenth = int(fraction * 10)
            self.stream.write(f"{self.label}: {fraction:.0%} {done:,}/{self.total:,} "
                              f"{self._elapsed(now)}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _elapsed(self, now: float) -> str:
        seconds = int(now - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"


class SQLiteWriter:
    """Write batches with sqlite3's executemany, one IMMEDIATE transaction each."""

    def __init__(self, path: str):
        self.connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.execute("PRAGMA cache_size = -200000")  # 200 MB for the indexes

    async def write(self, batch: dict[type, list[tuple]]) -> None:
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            for table, rows in batch.items():
                if rows:
                    connection.executemany(_insert_sql(table, "?"), rows)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    async def finish(self) -> None:
        # Fold the write-ahead log into the file, so that its size is the database's.
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection.close()

    async def abort(self) -> None:
        self.connection.close()


class PostgresWriter:
    """Write batches with COPY, one transaction each, then move the id sequences on."""

    def __init__(self, engine):
        self.engine = engine
        self.connection = None

    async def write(self, batch: dict[type, list[tuple]]) -> None:
        if self.connection is None:
            self.connection = await self.engine.get_new_connection()
        async with self.connection.transaction():
            for table, rows in batch.items():
                if rows:
                    await self.connection.copy_records_to_table(
                        table._meta.tablename, records=rows, columns=list(COLUMNS[table])
                    )

    async def finish(self) -> None:
        if self.connection is None:
            return
        # The rows carry their own ids, so the sequences must be told where they are.
        for table in COLUMNS:
            name = table._meta.tablename
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"
            )
        # Statistics for the planner at once: without them (autovacuum off, or not yet
        # run) it scans whole tables of a large data set, a group page 12 times slower.
        await self.connection.execute("ANALYZE")
        await self.connection.close()

    async def abort(self) -> None:
        if self.connection is not None:
            await self.connection.close()


def _insert_sql(table: type, placeholder: str) -> str:
    columns = COLUMNS[table]
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join(placeholder for _column in columns)
    return f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'  # noqa: S608


def open_writer():
    """Return the bulk writer for the engine the tables are bound to."""
    engine = Participant._meta.db
    if is_postgres(Participant):
        return PostgresWriter(engine)
    return SQLiteWriter(engine.path)


async def database_has_data() -> bool:
    """Return True if any table of the app holds a row."""
    for table in piccolo_app.TABLES:
        if await table.exists():
            return True
    return False


async def create_demo(
    seed: int = 1,
    password: str | None = None,
    groups: int = 2,
    participants: int = 14,
    today: dt.date | None = None,
    progress: bool = False,
) -> dict[str, str]:
    """Migrate, then fill an empty database with demo data; return each user's password.

    Demo users skip the password policy on purpose: `--password x` must work.
    """
    if groups < 1 or participants < groups:
        raise DemoRefused(_("Give at least one group and at least one participant per group."))
    await migrate_forwards()
    if await database_has_data():
        raise DemoRefused(_("The database already holds data, so no demo data was added. "
                            "Use an empty database, for example a new COACH_DATA_DIR."))
    today = today or dt.date.today()
    passwords = {
        username: password if password is not None else secrets.token_urlsafe(12)
        for username, _role in DEMO_USERS
    }
    data = DemoData(seed, today, {name: hash_password(pw) for name, pw in passwords.items()})
    data.users(groups)
    # Half of everyone is in work by the end, as in the groups the demo is modelled on.
    employed = set(data.rng.sample(range(participants), participants // 2))

    bar = Progress(participants, _("Making demo data")) if progress else None
    writer = open_writer()
    done = 0
    try:
        for index, size in enumerate(group_sizes(groups, participants)):
            data.group(index, size, employed, done)
            done += size
            if data.buffered() >= BATCH_ROWS:
                await writer.write(data.take())
            if bar:
                bar.update(done)
        await writer.write(data.take())
    except BaseException:
        await writer.abort()
        raise
    await writer.finish()
    if bar:
        bar.close()
    await record("demo.create", actor_label="cli",
                 detail={"seed": seed, "groups": groups, "participants": participants})
    return passwords


def run_demo(args: argparse.Namespace) -> int:
    """Run `coach demo`; return the exit code."""
    from coach.app import bind_tables
    from coach.settings import load_settings

    settings = load_settings()
    bind_tables(settings)
    try:
        passwords = asyncio.run(create_demo(
            seed=args.seed, password=args.password, groups=args.groups,
            participants=args.participants, progress=True,
        ))
    except DemoRefused as exc:
        print(f"coach demo: {exc} ({settings.database.describe()})", file=sys.stderr)
        return 2
    roles = dict(DEMO_USERS)
    print(_("Demo data is ready in %(database)s.") % {"database": settings.database.describe()})
    print(_("Start the app with `coach serve` and log in at %(url)s as:")
          % {"url": f"http://127.0.0.1:{settings.port}/login"})
    for username, password in passwords.items():
        print(f"  {username:<10} {roles[username].value:<10} {password}")
    return 0
