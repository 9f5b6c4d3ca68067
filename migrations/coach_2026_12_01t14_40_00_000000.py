"""Group names kept casefolded (coaching_group.name_folded), so the database does the search.

The admin's group lists are searched by name as str.casefold() compares ("ä" finds "Ä",
"ss" finds "ß"); neither SQLite's lower() (ASCII only) nor PostgreSQL's (the database's
locale) can do that. The next migration fills in the existing rows, in Python (a raw step
runs before the column is added).

Written by hand in the form `piccolo migrations new --auto` gives, so that Piccolo's
record of the schema knows the column.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "group names kept casefolded for the search"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_column(
        table_class_name="CoachingGroup",
        tablename="coaching_group",
        column_name="name_folded",
        db_column_name="name_folded",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 360,
            "default": "",
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
