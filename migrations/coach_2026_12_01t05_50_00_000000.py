"""Usernames are unique regardless of case: COACH1 cannot stand next to coach1.

Written by hand: Piccolo declares no index on an expression. Both engines index
lower(username); a project that already holds two such names must rename one first.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T05:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "usernames unique regardless of case"


async def add_index():
    await engine_finder().run_ddl(
        "CREATE UNIQUE INDEX app_user_username_lower ON app_user (lower(username))")


async def drop_index():
    await engine_finder().run_ddl("DROP INDEX IF EXISTS app_user_username_lower")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_raw(add_index)
    manager.add_raw_backwards(drop_index)
    return manager
