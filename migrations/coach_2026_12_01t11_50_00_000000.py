"""Submission keys of saved forms (form_submission): each entry is saved once.

Written by hand in the form `piccolo migrations new --auto` gives, so that Piccolo's
record of the schema knows the table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T11:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "submission keys of saved forms"


def _params(**overrides) -> dict:
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(overrides)
    return params


def _varchar(manager: MigrationManager, name: str, length: int, **overrides) -> None:
    manager.add_column(
        table_class_name="FormSubmission",
        tablename="form_submission",
        column_name=name,
        db_column_name=name,
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=length, default="", **overrides),
        schema=None,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_table(
        class_name="FormSubmission", tablename="form_submission", schema=None, columns=None
    )
    _varchar(manager, "actor", 40, index=True)
    _varchar(manager, "scoped_key", 120, unique=True)
    _varchar(manager, "fingerprint", 64)
    _varchar(manager, "target", 500)
    manager.add_column(
        table_class_name="FormSubmission",
        tablename="form_submission",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=TimestamptzNow()),
        schema=None,
    )
    return manager
