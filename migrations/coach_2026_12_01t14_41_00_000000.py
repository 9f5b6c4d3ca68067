"""Fill in the casefolded names of the groups there are (coaching_group.name_folded).

Python's str.casefold(), as coach.paging.fold gives it: the databases cannot fold a name
the same way. Going back needs nothing: the previous migration drops the column.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.table import Table

ID = "2026-12-01T14:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "casefolded names of the existing groups"


class CoachingGroup(Table, tablename="coaching_group", schema=None):
    name = Varchar(length=120, null=False)
    name_folded = Varchar(length=360, null=False, default="")


async def fill_in() -> None:
    rows = await CoachingGroup.select(CoachingGroup.id, CoachingGroup.name)
    for row in rows:
        await CoachingGroup.update({CoachingGroup.name_folded: row["name"].casefold()}).where(
            CoachingGroup.id == row["id"])


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_raw(fill_in)
    return manager
