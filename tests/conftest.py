"""Test set-up: one fresh database per run, emptied after every test.

SQLite by default (a file in a temporary folder); PostgreSQL when DATABASE_URL
points at one (.ci/run creates a fresh database for the run).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

# Before anything imports the settings: a private data folder for this run.
_DATA_DIR = tempfile.mkdtemp(prefix="coach-test-")
os.environ["COACH_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("COACH_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ["COACH_ENV"] = "development"
# On PostgreSQL each test client's app opens its pool at start-up (COACH_DB_POOL_SIZE, as in
# production) on the client's own event loop, where its requests run too; the tests' own
# loop has a pool of its own (database below).
os.environ.pop("COACH_DB_POOL_SIZE", None)

import pytest  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402

from coach import piccolo_app  # noqa: E402
from coach.app import bind_tables, create_app  # noqa: E402
from coach.migrate import migrate_forwards  # noqa: E402
from coach.settings import load_settings  # noqa: E402


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session", autouse=True)
async def database(settings):
    """Migrate the run's database once; on PostgreSQL keep a pool on the tests' own loop."""
    engine = bind_tables(settings)
    await migrate_forwards()
    # Without it every statement of a factory or a check opens a connection (a new server
    # process, some 10 ms): half the PostgreSQL run's time.
    pooled = isinstance(engine, PostgresEngine)
    if pooled:
        await engine.start_connection_pool(min_size=1, max_size=20)
    yield settings.database
    if pooled:
        await engine.close_connection_pool()


async def empty_all_tables() -> None:
    engine = piccolo_app.TABLES[0]._meta.db
    names = [table._meta.tablename for table in reversed(piccolo_app.TABLES)]
    if engine.engine_type == "postgres":
        # DELETE on these nearly empty tables, sent as one batch on one connection, takes
        # about a tenth of the time of TRUNCATE (which touches files for every table) and
        # saves minutes over the suite. Children come first (reversed TABLES order), and
        # the id sequences start again at 1, as TRUNCATE ... RESTART IDENTITY did.
        statements = [f"DELETE FROM {name}" for name in names] + [
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), 1, false)" for name in names
        ]
        connection = await engine.get_new_connection()
        try:
            await connection.execute("; ".join(statements))
        finally:
            await connection.close()
    else:
        # One script on one connection rather than a connection per statement. Children
        # come first, so the order holds even with foreign keys on; ids start again at 1,
        # as RESTART IDENTITY does (AUTOINCREMENT remembers them in sqlite_sequence).
        with sqlite3.connect(engine.path, timeout=30) as connection:
            has_sequence = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
            ).fetchone()
            script = [f"DELETE FROM {name};" for name in names]
            if has_sequence:
                script.append("DELETE FROM sqlite_sequence;")
            connection.executescript("\n".join(script))
        connection.close()


@pytest.fixture(autouse=True)
async def clean_database(database):
    yield
    await empty_all_tables()


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(app):
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def statements(monkeypatch):
    """Record every SQL statement the tables' engine runs (issue 10: a handful a page)."""
    seen: list[str] = []
    kind = type(piccolo_app.TABLES[0]._meta.db)  # on the class: PostgresEngine has __slots__
    run_querystring = kind.run_querystring

    async def counted(self, querystring, *args, **kwargs):
        seen.append(str(querystring))
        return await run_querystring(self, querystring, *args, **kwargs)

    monkeypatch.setattr(kind, "run_querystring", counted)
    return seen
