"""A participant's unfinished check, kept on the server between its screens (check_draft).

Written by hand in the form `piccolo migrations new --auto` gives, so that Piccolo's
record of the schema knows the table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


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


class WebSession(Table, tablename="web_session", schema=None):
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


ID = "2026-12-01T11:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unfinished checks kept on the server, one per session"


def _params(**extra) -> dict:
    return {
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


def _foreign_key(references, unique: bool, index: bool) -> dict:
    return _params(references=references, on_delete=OnDelete.cascade,
                   on_update=OnUpdate.cascade, target_column=None, null=False,
                   unique=unique, index=index)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_table(class_name="CheckDraft", tablename="check_draft", schema=None, columns=None)
    columns = [
        ("session", ForeignKey, _foreign_key(WebSession, unique=True, index=False)),
        ("participant", ForeignKey, _foreign_key(Participant, unique=False, index=True)),
        ("session_key", Varchar, _params(length=64, default="", null=False)),
        ("instruments", Varchar, _params(length=200, default="", null=False)),
        ("answers", JSON, _params(default="{}", null=False)),
        ("saved_at", Timestamptz, _params(default=None, null=True)),
        ("updated_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="CheckDraft",
            tablename="check_draft",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
