"""The coach's "talked with them" after a low or fallen wellbeing check (care_follow_up).

Written by hand in the form `piccolo migrations new --auto` gives, so that Piccolo's
record of the schema knows the table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Assessment(Table, tablename="assessment", schema=None):
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


class User(Table, tablename="app_user", schema=None):
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


ID = "2026-12-01T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "care follow-ups marked done by coaches"


def _foreign_key(references, on_delete, null: bool, unique: bool, index: bool) -> dict:
    return {
        "references": references,
        "on_delete": on_delete,
        "on_update": OnUpdate.cascade,
        "target_column": None,
        "null": null,
        "primary_key": False,
        "unique": unique,
        "index": index,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)

    manager.add_table(
        class_name="CareFollowUp", tablename="care_follow_up", schema=None, columns=None
    )

    manager.add_column(
        table_class_name="CareFollowUp",
        tablename="care_follow_up",
        column_name="participant",
        db_column_name="participant",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_foreign_key(Participant, OnDelete.cascade, null=False, unique=False, index=True),
        schema=None,
    )

    manager.add_column(
        table_class_name="CareFollowUp",
        tablename="care_follow_up",
        column_name="assessment",
        db_column_name="assessment",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_foreign_key(Assessment, OnDelete.cascade, null=False, unique=True, index=False),
        schema=None,
    )

    manager.add_column(
        table_class_name="CareFollowUp",
        tablename="care_follow_up",
        column_name="done_by",
        db_column_name="done_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_foreign_key(User, OnDelete.set_null, null=True, unique=False, index=False),
        schema=None,
    )

    manager.add_column(
        table_class_name="CareFollowUp",
        tablename="care_follow_up",
        column_name="done_at",
        db_column_name="done_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
