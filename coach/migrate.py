"""Apply or revert the Piccolo migrations of the one app, "coach"."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.backwards import run_backwards
from piccolo.apps.migrations.commands.forwards import run_forwards


class MigrationError(Exception):
    pass


async def migrate_forwards(quiet: bool = True) -> None:
    """Apply every pending migration."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="coach", migration_id="all")
    if not result.success:
        raise MigrationError(result.message or output.getvalue())


async def migrate_backwards(quiet: bool = True) -> None:
    """Revert every applied migration (tests use this for the round trip)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_backwards(app_name="coach", migration_id="all", auto_agree=True)
    if not result.success:
        raise MigrationError(result.message or output.getvalue())
