"""`coach backup DEST`: a consistent copy of the SQLite database, or how to take one with pg_dump.

SQLite's online backup API copies the database inside one read transaction, so the copy
is the database as it was at one moment even while the app keeps writing (in WAL mode a
reader never blocks the writers). The copy is written under a temporary name with the
owner's permissions only, checked with `PRAGMA integrity_check`, and only then given
its name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sqlite3
import sys
from pathlib import Path

from coach.db import SQLITE_BUSY_TIMEOUT_SECONDS
from coach.i18n import gettext as _
from coach.settings import DatabaseConfig, load_settings, make_private_file

EXIT_REFUSED = 2  # nothing written: the destination exists, the source is missing, or PostgreSQL
EXIT_FAILED = 1  # the copy failed its check or could not be written


class BackupRefused(Exception):
    """The backup was not taken; the message says why."""


class BackupDamaged(Exception):
    """The copy failed PRAGMA integrity_check (and was removed)."""


def _exists_message(dest: Path) -> str:
    return _("%(path)s already exists; nothing was written. Choose another name, or add "
             "--overwrite to replace it.") % {"path": dest}


def backup_file_name(moment: dt.datetime) -> str:
    """Return the name of a backup written into a folder, e.g. coach-20261201-093000.sqlite3."""
    return f"coach-{moment:%Y%m%d-%H%M%S}.sqlite3"


def resolve_destination(dest: Path, moment: dt.datetime) -> Path:
    """Return the file to write: DEST itself, or a dated file inside DEST when it is a folder."""
    return dest / backup_file_name(moment) if dest.is_dir() else dest


def backup_sqlite(source: Path, dest: Path, overwrite: bool = False) -> None:
    """Copy the database at source to dest, check the copy, and make it private.

    Raises BackupRefused when nothing may be written, BackupDamaged when the copy fails
    its integrity check, OSError or sqlite3.Error when copying fails; no partial copy stays.
    """
    if not source.is_file():
        raise BackupRefused(_("There is no database at %(path)s.") % {"path": source})
    if dest.exists() and not overwrite:
        raise BackupRefused(_exists_message(dest))
    if not dest.parent.is_dir():
        raise BackupRefused(_("The folder %(path)s does not exist.") % {"path": dest.parent})
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        _copy(source, partial)
        _check(partial)
        _put_in_place(partial, dest, overwrite)
    finally:
        for leftover in (Path(f"{partial}{suffix}") for suffix in ("", "-journal", "-wal", "-shm")):
            leftover.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """Copy source into a new private file at target in one step (one consistent snapshot)."""
    # Created here, before SQLite opens it, so the copy is never readable by others.
    make_private_file(target, exclusive=True)
    # mode=rw: never create an empty database where the real one should be.
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True,
                             timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    writer = sqlite3.connect(target)
    try:
        # pages=-1 (all at once): the copy is taken inside one read transaction, so a
        # write committed meanwhile is either wholly in it or wholly after it.
        reader.backup(writer, pages=-1)
        # A single file that needs no -wal beside it, whatever mode the source was in.
        writer.execute("PRAGMA journal_mode = DELETE")
        writer.commit()
    finally:
        writer.close()
        reader.close()
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def _check(path: Path) -> None:
    """Raise BackupDamaged unless PRAGMA integrity_check says ok."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    if rows != ["ok"]:
        raise BackupDamaged("; ".join(str(row) for row in rows[:5]))


def _put_in_place(partial: Path, dest: Path, overwrite: bool) -> None:
    """Give the checked copy its name; without overwrite, never replace a file that appeared."""
    if overwrite:
        os.replace(partial, dest)
        return
    try:
        os.link(partial, dest)  # fails if dest appeared since the first look
    except FileExistsError:
        raise BackupRefused(_exists_message(dest)) from None


def pg_dump_command(config: DatabaseConfig, dest: str) -> str:
    """Return the pg_dump command line for this database, without its password."""
    parts = ["pg_dump", "--format=custom", f"--file={dest}", f"--host={config.host}",
             f"--port={config.port}"]
    if config.user:
        parts.append(f"--username={config.user}")
    parts.append(config.database or "")
    return shlex.join(parts)


def pg_restore_command(config: DatabaseConfig, dest: str) -> str:
    """Return the pg_restore command line that loads such a dump, without a password."""
    parts = ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--host={config.host}",
             f"--port={config.port}"]
    if config.user:
        parts.append(f"--username={config.user}")
    parts += [f"--dbname={config.database or ''}", dest]
    return shlex.join(parts)


def explain_postgres(config: DatabaseConfig, dest: str) -> None:
    """Print how to back up (and restore) this PostgreSQL database with its own tools."""
    print(_("The database is PostgreSQL: coach backup does not copy it. Use PostgreSQL's own "
            "tool; it asks for the password, or reads it from ~/.pgpass or PGPASSWORD:"),
          file=sys.stderr)
    print(pg_dump_command(config, dest))
    print(_("To restore such a dump into an empty database:"), file=sys.stderr)
    print(pg_restore_command(config, dest))


def run_backup(args: argparse.Namespace) -> int:
    """Run `coach backup`; return the exit code."""
    settings = load_settings()
    config = settings.database
    if config.engine != "sqlite":
        explain_postgres(config, args.dest)
        return EXIT_REFUSED  # nothing was written: a script must not take this for a backup
    assert config.path is not None
    dest = resolve_destination(Path(args.dest), dt.datetime.now())
    try:
        backup_sqlite(config.path, dest, overwrite=args.overwrite)
    except BackupRefused as exc:
        print(f"coach backup: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except BackupDamaged as exc:
        print(_("coach backup: the copy failed its check and was removed: %(problem)s")
              % {"problem": exc}, file=sys.stderr)
        return EXIT_FAILED
    except (OSError, sqlite3.Error) as exc:
        print(_("coach backup: could not copy %(source)s to %(path)s: %(problem)s")
              % {"source": config.path, "path": dest, "problem": exc}, file=sys.stderr)
        return EXIT_FAILED
    print(_("Wrote a checked copy of %(source)s to %(path)s (readable by you only).")
          % {"source": config.path, "path": dest})
    return 0
