"""Test set-up: one fresh database per run, emptied after every test.

SQLite by default (a file in a temporary folder); PostgreSQL when DATABASE_URL
points at one (.ci/run creates a fresh database for the run).
"""

from __future__ import annotations

import os
import tempfile

# Before anything imports the settings: a private data folder for this run.
_DATA_DIR = tempfile.mkdtemp(prefix="coach-test-")
os.environ["COACH_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("COACH_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ["COACH_ENV"] = "development"
# Litestar's test client runs the lifespan on another event loop than the requests, so a
# connection pool opened at start-up could not serve them; test_serve.py covers the pool.
os.environ["COACH_DB_POOL_SIZE"] = "0"

import pytest  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from coach import piccolo_app  # noqa: E402
from coach.app import bind_tables, create_app  # noqa: E402
from coach.migrate import migrate_forwards  # noqa: E402
from coach.settings import load_settings  # noqa: E402


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session", autouse=True)
async def database(settings):
    """Migrate the run's database once."""
    bind_tables(settings)
    await migrate_forwards()
    yield settings.database


async def empty_all_tables() -> None:
    engine = piccolo_app.TABLES[0]._meta.db
    names = [table._meta.tablename for table in reversed(piccolo_app.TABLES)]
    if engine.engine_type == "postgres":
        await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in names:
            await engine.run_ddl(f"DELETE FROM {name}")
        # Ids start again at 1, as RESTART IDENTITY does (AUTOINCREMENT remembers them).
        if await engine.run_ddl("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'"):
            await engine.run_ddl("DELETE FROM sqlite_sequence")


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
