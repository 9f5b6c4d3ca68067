"""Database engines: SQLite tuned for a web server, or PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from coach.settings import PRIVATE_FILE_MODE, DatabaseConfig, make_private_dir

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class ServerSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, a busy timeout and IMMEDIATE write transactions.

    A DEFERRED transaction that reads and then writes can fail at once with
    "database is locked" when another writer got there first; IMMEDIATE takes
    the write lock up front, so the busy timeout applies instead.
    """

    def __init__(self, path: str, **kwargs):
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ):
        return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)

    async def get_connection(self):
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def enable_wal(self) -> None:
        """Switch the file to write-ahead logging (persistent per file)."""
        import sqlite3

        with sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
            connection.execute("PRAGMA journal_mode = WAL")


SQLITE_SUFFIXES = ("", "-wal", "-shm")


def make_private_sqlite(path: Path) -> None:
    """Create the data folder (0700) and the database file (0600), whatever the umask.

    SQLite gives the -wal and -shm files the permissions of the database file.
    """
    make_private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
        path.chmod(PRIVATE_FILE_MODE)


def open_to_others(path: Path) -> list[Path]:
    """Return the data folder and database files that someone besides the owner may use."""
    candidates = [path.parent, *(Path(f"{path}{suffix}") for suffix in SQLITE_SUFFIXES)]
    return [item for item in candidates if item.exists() and item.stat().st_mode & 0o077]


def make_engine(config: DatabaseConfig) -> Engine:
    """Return the Piccolo engine for the configured database."""
    if config.engine == "sqlite":
        assert config.path is not None
        make_private_sqlite(config.path)
        engine = ServerSQLiteEngine(path=str(config.path))
        engine.enable_wal()
        return engine
    return PostgresEngine(
        config={
            "host": config.host,
            "port": config.port,
            "user": config.user,
            "password": config.password,
            "database": config.database,
        }
    )
