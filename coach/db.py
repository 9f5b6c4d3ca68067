"""Database engines: SQLite tuned for a web server, or PostgreSQL."""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from coach.settings import DatabaseConfig

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


def make_engine(config: DatabaseConfig) -> Engine:
    """Return the Piccolo engine for the configured database."""
    if config.engine == "sqlite":
        assert config.path is not None
        config.path.parent.mkdir(parents=True, exist_ok=True)
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
