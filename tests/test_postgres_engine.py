"""The PostgreSQL engine: one per database in a process, a pool per event loop.

These need no server (without one, Piccolo only warns that it could not read the server's
version), and the pool is only looked up. The PostgreSQL run of the suite (DATABASE_URL)
uses both for real: the tests' loop and each test client's loop keep their own pools.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from coach.db import LoopPostgresEngine, make_engine
from coach.settings import DatabaseConfig


def config(database: str = "coach") -> DatabaseConfig:
    return DatabaseConfig(engine="postgres", host="127.0.0.1", port=5432, user="coach",
                          password="secret", database=database, path=None)


def test_the_same_database_gets_the_same_engine_and_another_its_own():
    first = make_engine(config())
    assert isinstance(first, LoopPostgresEngine)
    assert make_engine(config()) is first
    assert make_engine(config("other")) is not first


def in_another_loop(function):
    """Run an async function on a loop of its own in another thread; return its result."""
    result = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(function())))
    thread.start()
    thread.join()
    return result[0]


async def test_a_pool_is_seen_only_on_the_loop_that_opened_it():
    engine = LoopPostgresEngine(config={"database": "unused"})
    assert engine.pool is None
    mine = object()
    engine.pool = mine  # what start_connection_pool does
    assert engine.pool is mine

    async def elsewhere():
        seen_before = engine.pool
        theirs = object()
        engine.pool = theirs
        return seen_before, engine.pool is theirs

    seen_before, kept_theirs = in_another_loop(elsewhere)
    assert seen_before is None  # a pool from another loop would fail there: not offered
    assert kept_theirs
    assert engine.pool is mine  # theirs did not replace it
    engine.pool = None  # what close_connection_pool does
    assert engine.pool is None


def test_outside_any_loop_there_is_no_pool():
    engine = LoopPostgresEngine(config={"database": "unused"})
    assert engine.pool is None
    with pytest.raises(RuntimeError):
        engine.pool = object()  # no loop to attach it to
