"""Migrations: they run both ways, and they build exactly the tables the code defines."""

import importlib
from itertools import chain

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from coach import piccolo_app
from coach.groups.tables import CoachingGroup
from coach.migrate import migrate_backwards, migrate_forwards
from coach.paging import fold
from tests.factories import make_group


async def table_names() -> set[str]:
    engine = piccolo_app.TABLES[0]._meta.db
    if engine.engine_type == "postgres":
        rows = await piccolo_app.TABLES[0].raw(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    else:
        rows = await piccolo_app.TABLES[0].raw(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    return {row["name"] for row in rows}


async def column_definitions(tablename: str) -> dict[str, bool]:
    """Return column name -> nullable, as the database has them."""
    engine = piccolo_app.TABLES[0]._meta.db
    if engine.engine_type == "postgres":
        rows = await piccolo_app.TABLES[0].raw(
            "SELECT column_name AS name, is_nullable = 'YES' AS nullable "
            "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = {}",
            tablename,
        )
        return {row["name"]: bool(row["nullable"]) for row in rows}
    rows = await piccolo_app.TABLES[0].raw(f"PRAGMA table_info('{tablename}')")
    return {row["name"]: not row["notnull"] and not row["pk"] for row in rows}


async def test_migrations_run_backwards_and_forwards_again():
    expected = {table._meta.tablename for table in piccolo_app.TABLES}
    assert expected <= await table_names()

    await migrate_backwards()
    assert not expected & await table_names()

    await migrate_forwards()
    assert expected <= await table_names()
    # The hand-written rules migration came back too.
    from tests.test_database_rules import test_a_meeting_length_out_of_range_is_refused

    await test_a_meeting_length_out_of_range_is_refused(0)


async def test_migrated_columns_match_the_table_definitions():
    for table in piccolo_app.TABLES:
        in_database = await column_definitions(table._meta.tablename)
        in_code = {
            column._meta.db_column_name: column._meta.null and not column._meta.primary_key
            for column in table._meta.columns
        }
        assert in_database == in_code, table._meta.tablename


async def test_no_table_change_is_missing_a_migration():
    statements = await AutoMigrationManager(auto_input="y").get_alter_statements(
        app_config=piccolo_app.APP_CONFIG
    )
    pending = list(chain(*[statement.statements for statement in statements]))
    assert pending == [], "run `piccolo migrations new coach --auto` against PostgreSQL"


async def test_the_groups_there_are_get_their_casefolded_names():
    """name_folded (what the group lists' search compares) is filled in for older groups."""
    group = await make_group(name="ÄRJÄ Straße")
    await CoachingGroup.update({CoachingGroup.name_folded: ""}).where(
        CoachingGroup.id == group.id)
    migration = importlib.import_module("migrations.coach_2026_12_01t14_41_00_000000")
    await migration.fill_in()
    stored = await CoachingGroup.select(CoachingGroup.name_folded).first()
    assert stored["name_folded"] == fold("ÄRJÄ Straße") == "ärjä strasse"
