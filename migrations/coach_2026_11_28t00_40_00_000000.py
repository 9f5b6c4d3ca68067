"""Range checks and unique pairs, enforced by the database itself.

Piccolo adds CHECK constraints with ALTER TABLE, which SQLite cannot do, so this
migration is written by hand: CHECK constraints on PostgreSQL, and on SQLite
triggers that abort a write breaking the same rules. Unique indexes work on both.
The forms check the same rules first and explain them; these are the last line.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "range checks and unique pairs"

# (table, constraint name, condition that every row must meet, columns it reads)
CHECKS = [
    ("coaching_group", "group_ends_after_start", "ends_on > starts_on", ("starts_on", "ends_on")),
    ("coaching_group", "group_duration_range", "usual_duration_minutes BETWEEN 1 AND 1440",
     ("usual_duration_minutes",)),
    ("coaching_group", "group_interval_range", "assessment_interval_weeks BETWEEN 1 AND 52",
     ("assessment_interval_weeks",)),
    ("participant", "participant_birth_year_range", "birth_year BETWEEN 1900 AND 2100",
     ("birth_year",)),
    ("participant", "participant_exit_after_enrolment",
     "exited_on IS NULL OR exited_on >= enrolled_on", ("enrolled_on", "exited_on")),
    ("meeting", "meeting_duration_range", "duration_minutes BETWEEN 1 AND 1440",
     ("duration_minutes",)),
    ("assessment", "assessment_scores_not_negative", "raw_score >= 0 AND score >= 0",
     ("raw_score", "score")),
]

# (index name, table, columns): one row per pair
UNIQUE_PAIRS = [
    ("attendance_once_per_meeting", "attendance", ("meeting", "participant")),
    ("group_coach_once", "group_coach", ('"group"', "coach")),
]


def _sqlite_triggers(table: str, name: str, condition: str, columns: tuple[str, ...]):
    message = f"{name}: {condition}"
    on_update = ", ".join(columns)
    for event, suffix in (("INSERT", "insert"), (f"UPDATE OF {on_update}", "update")):
        yield (
            f"CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} "
            f"WHEN NOT ({_new(condition, columns)}) "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _new(condition: str, columns: tuple[str, ...]) -> str:
    """Point a condition's column names at the NEW row."""
    for column in columns:
        condition = re.sub(rf"\b{column}\b", f"NEW.{column}", condition)
    return condition


async def add_rules():
    engine = engine_finder()
    statements = []
    for table, name, condition, columns in CHECKS:
        if engine.engine_type == "postgres":
            statements.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")
        else:
            statements.extend(_sqlite_triggers(table, name, condition, columns))
    for name, table, columns in UNIQUE_PAIRS:
        statements.append(f"CREATE UNIQUE INDEX {name} ON {table} ({', '.join(columns)})")
    for statement in statements:
        await engine.run_ddl(statement)


async def drop_rules():
    engine = engine_finder()
    statements = [f"DROP INDEX IF EXISTS {name}" for name, _table, _columns in UNIQUE_PAIRS]
    for table, name, _condition, _columns in CHECKS:
        if engine.engine_type == "postgres":
            statements.append(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}_insert")
            statements.append(f"DROP TRIGGER IF EXISTS {name}_update")
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="coach", description=DESCRIPTION)
    manager.add_raw(add_rules)
    manager.add_raw_backwards(drop_rules)
    return manager
