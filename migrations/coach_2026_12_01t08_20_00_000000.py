"""Ids are never handed out twice, and "unlink" erasure keeps attendance as monthly counts.

1. SQLite gives a new row the highest id plus one, so after the newest participant was
   erased the next one got their id, and the admin's audit log showed the erased
   person's events under the newcomer. AUTOINCREMENT makes SQLite remember the highest
   id it ever gave (in sqlite_sequence); a column cannot be changed in place, so each
   table is rebuilt as SQLite's documentation describes (https://sqlite.org/lang_altertable.html,
   "Making Other Kinds Of Table Schema Changes"): foreign keys off, new table, copy,
   drop, rename, indexes and triggers back, foreign_key_check, commit. The counters
   start after the highest id the audit log names, in case the newest row of a table
   was deleted before this upgrade. PostgreSQL's sequences never go back: nothing to do.
2. kept_attendance: what "unlink" keeps of a person's attendance, as counts per month
   of the group (coach.participants.erasure). Its ids are never shown or logged.

Written by hand (the table in the form `piccolo migrations new --auto` gives, so that
Piccolo's record of the schema knows it). The rebuild needs its own connection with
foreign keys off, outside any transaction, so on SQLite Piccolo's own transaction
around the migration is skipped.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-01T08:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ids never reused on SQLite; attendance kept by unlink erasure as counts"

# Every table of the app at this point (kept_attendance is created after the rebuild).
REBUILT = (
    "app_user", "coaching_group", "group_coach", "participant", "labour_status", "meeting",
    "attendance", "assessment", "audit_event", "web_session", "invite", "throttle_event",
    "api_token", "project_setting", "report_snapshot",
)
# The audit log's target types and their tables: their counters start after the log.
LOGGED_TARGETS = {"participant": "participant", "group": "coaching_group",
                  "meeting": "meeting", "user": "app_user", "api_token": "api_token"}
PLAIN_KEY = '"id" INTEGER PRIMARY KEY NOT NULL'
COUNTED_KEY = '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL'


class Participant(Table, tablename="participant", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


def _is_sqlite() -> bool:
    return engine_finder().engine_type == "sqlite"


async def _rebuild(connection, name: str, old_key: str, new_key: str) -> None:
    """Rebuild one table with another primary key clause, keeping rows, indexes, triggers."""
    rows = await connection.execute_fetchall(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", (name,))
    # Piccolo's connections return rows as dicts.
    table_sql = next(row["sql"] for row in rows if row["type"] == "table")
    others = [row["sql"] for row in rows if row["type"] in ("index", "trigger")]
    prefix = re.compile(rf'^CREATE TABLE "?{re.escape(name)}"?\s*\(')
    if table_sql.count(old_key) != 1 or not prefix.match(table_sql):
        raise RuntimeError(f"unexpected definition of {name}: {table_sql}")
    new_sql = prefix.sub(f'CREATE TABLE "_new_{name}" (', table_sql).replace(old_key, new_key)
    await connection.execute(new_sql)
    await connection.execute(f'INSERT INTO "_new_{name}" SELECT * FROM "{name}"')  # noqa: S608
    await connection.execute(f'DROP TABLE "{name}"')
    await connection.execute(f'ALTER TABLE "_new_{name}" RENAME TO "{name}"')
    for sql in others:
        await connection.execute(sql)


async def start_after_logged_ids(connection=None) -> None:
    """Start each logged table's counter after the highest id it or the audit log holds."""
    own = connection is None
    if own:
        connection = await engine_finder().get_connection()
    try:
        for target_type, name in LOGGED_TARGETS.items():
            [row] = await connection.execute_fetchall(
                f'SELECT MAX(COALESCE((SELECT MAX(id) FROM "{name}"), 0),'  # noqa: S608
                " COALESCE((SELECT MAX(target_id) FROM audit_event WHERE target_type = ?), 0),"
                " COALESCE((SELECT MAX(seq) FROM sqlite_sequence WHERE name = ?), 0)) AS highest",
                (target_type, name))
            await connection.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            await connection.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, row["highest"]))
    finally:
        if own:
            await connection.commit()
            await connection.close()


async def _rebuild_all(old_key: str, new_key: str, *, seed: bool) -> None:
    connection = await engine_finder().get_connection()
    try:
        # Outside a transaction, or SQLite ignores it; with foreign keys on, dropping a
        # table would delete (cascade) the rows that refer to it.
        await connection.execute("PRAGMA foreign_keys = OFF")
        await connection.execute("BEGIN IMMEDIATE")
        try:
            for name in REBUILT:
                await _rebuild(connection, name, old_key, new_key)
            if seed:
                await start_after_logged_ids(connection)
            else:
                names = ", ".join("?" for _name in REBUILT)
                await connection.execute(
                    f"DELETE FROM sqlite_sequence WHERE name IN ({names})", REBUILT)  # noqa: S608
            broken = await connection.execute_fetchall("PRAGMA foreign_key_check")
            if broken:
                raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")
    finally:
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.close()


async def never_reuse_ids():
    if _is_sqlite():
        await _rebuild_all(PLAIN_KEY, COUNTED_KEY, seed=True)


async def reuse_ids_again():
    if _is_sqlite():
        await _rebuild_all(COUNTED_KEY, PLAIN_KEY, seed=False)


def _column(params: dict) -> dict:
    return {
        "primary_key": False,
        "unique": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **params,
    }


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="coach", description=DESCRIPTION,
        wrap_in_transaction=not _is_sqlite(),
    )
    manager.add_raw(never_reuse_ids)
    manager.add_raw_backwards(reuse_ids_again)

    manager.add_table(
        class_name="KeptAttendance", tablename="kept_attendance", schema=None, columns=None
    )
    manager.add_column(
        table_class_name="KeptAttendance",
        tablename="kept_attendance",
        column_name="participant",
        db_column_name="participant",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_column({
            "references": Participant,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "index": True,
        }),
        schema=None,
    )
    for name in ("month", "meetings", "present"):
        manager.add_column(
            table_class_name="KeptAttendance",
            tablename="kept_attendance",
            column_name=name,
            db_column_name=name,
            column_class_name="Integer",
            column_class=Integer,
            params=_column({"default": 0, "null": False, "index": False}),
            schema=None,
        )
    return manager
