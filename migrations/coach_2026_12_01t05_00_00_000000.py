"""An index that the evaluator's reports read instead of the assessment table.

The trends and the paired change read each person's scores of one instrument in date
order; with every column they need in the index, neither engine reads the answers.
Written by hand: Piccolo declares only single-column indexes on a table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report index on assessments"

INDEX = ("CREATE INDEX assessment_report ON assessment "
         "(instrument, participant, taken_on, completed_at, id, score)")


async def add_index():
    await engine_finder().run_ddl(INDEX)


async def drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS assessment_report")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_raw(add_index)
    manager.add_raw_backwards(drop_index)
    return manager
