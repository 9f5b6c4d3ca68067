"""`coach backup`: a checked, private snapshot of SQLite taken while the app writes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coach.backup import BackupDamaged, backup_sqlite, pg_dump_command
from coach.settings import parse_database_url

# Writes through the app's own tables and engine: each transaction adds two audit events
# with the same number, and the number is printed only after the commit (acknowledged).
WRITER = """
import asyncio
from coach.app import bind_tables
from coach.audit.log import record
from coach.audit.tables import AuditEvent
from coach.settings import load_settings

bind_tables(load_settings())

async def write_forever():
    number = 0
    while True:
        number += 1
        async with AuditEvent._meta.db.transaction():
            await record("backup.first", actor_label="writer", target_id=number)
            await record("backup.second", actor_label="writer", target_id=number)
        print(number, flush=True)

asyncio.run(write_forever())
"""

# Reads a restored database through the app's tables.
READER = """
import asyncio, json
from coach.app import bind_tables
from coach.audit.tables import AuditEvent
from coach.settings import load_settings

bind_tables(load_settings())

async def numbers(action):
    rows = await AuditEvent.select(AuditEvent.target_id).where(AuditEvent.action == action)
    return sorted(row["target_id"] for row in rows)

async def read():
    return {"first": await numbers("backup.first"), "second": await numbers("backup.second")}

print(json.dumps(asyncio.run(read())))
"""


def coach_env(data_dir: Path, **extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update({"COACH_DATA_DIR": str(data_dir), "LANG": "en_GB.UTF-8", **extra})
    environment.pop("LC_ALL", None)
    environment.pop("LC_MESSAGES", None)
    return environment


def run_coach(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach.cli", *args], capture_output=True,
                          text=True, env=coach_env(data_dir, **extra), timeout=120)


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


class Acknowledged:
    """The numbers a writer process has printed, read on a thread as they come."""

    def __init__(self, process: subprocess.Popen):
        self.numbers: list[int] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.numbers.append(int(line))

    def latest(self) -> int:
        return self.numbers[-1] if self.numbers else 0

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.latest() < count:
            assert time.monotonic() < deadline, f"the writer acknowledged only {self.latest()}"
            time.sleep(0.02)


def test_a_backup_taken_during_writes_restores_every_acknowledged_row(tmp_path):
    live, restored = tmp_path / "live", tmp_path / "restored"
    assert run_coach(live, "migrate").returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE, text=True,
                              env=coach_env(live))
    try:
        acknowledged = Acknowledged(writer)
        acknowledged.wait_for(20)
        before = acknowledged.latest()  # every number up to here was committed
        backup = run_coach(live, "backup", str(tmp_path / "copy.sqlite3"))
        after = acknowledged.latest()
        acknowledged.wait_for(after + 5)  # the writer was still writing after the backup
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    assert backup.returncode == 0, backup.stderr
    assert after > before, "no write was acknowledged while the backup ran"
    assert writer.returncode is not None

    # Restore as the README says: copy the file into place, then start the app on it.
    restored.mkdir(mode=0o700)
    shutil.copy2(tmp_path / "copy.sqlite3", restored / "coach.sqlite3")
    assert integrity(restored / "coach.sqlite3") == "ok"
    migrate = run_coach(restored, "migrate")  # the migration history came along too
    assert migrate.returncode == 0, migrate.stderr
    read = subprocess.run([sys.executable, "-c", READER], capture_output=True, text=True,
                          env=coach_env(restored), timeout=120)
    assert read.returncode == 0, read.stderr
    rows = json.loads(read.stdout)
    found = rows["first"]
    assert set(range(1, before + 1)) <= set(found), "an acknowledged row is missing"
    assert found == list(range(1, len(found) + 1)), "the copy has a hole in it"
    # One snapshot: no transaction is in the copy by half.
    assert rows["second"] == found


def test_the_backup_is_private_and_checked_even_with_a_loose_umask(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    old_umask = os.umask(0)
    try:
        result = run_coach(tmp_path, "backup", str(tmp_path / "copy.sqlite3"))
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "copy.sqlite3"
    assert copy.stat().st_mode & 0o777 == 0o600
    assert integrity(copy) == "ok"
    # A single file, with nothing left beside it.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("copy", ".copy"))) \
        == ["copy.sqlite3"]
    assert sqlite3.connect(copy).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_an_existing_file_is_kept_unless_overwrite_is_given(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    existing = tmp_path / "copy.sqlite3"
    existing.write_bytes(b"last week's backup")

    refused = run_coach(tmp_path, "backup", str(existing))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "--overwrite" in refused.stderr
    assert existing.read_bytes() == b"last week's backup"

    replaced = run_coach(tmp_path, "backup", "--overwrite", str(existing))
    assert replaced.returncode == 0, replaced.stderr
    assert integrity(existing) == "ok"
    assert existing.stat().st_mode & 0o777 == 0o600


def test_a_folder_as_destination_gets_a_dated_file(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    folder = tmp_path / "backups"
    folder.mkdir()
    result = run_coach(tmp_path, "backup", str(folder))
    assert result.returncode == 0, result.stderr
    [copy] = folder.iterdir()
    assert copy.name.startswith("coach-") and copy.suffix == ".sqlite3"
    assert integrity(copy) == "ok"


def test_messages_are_in_the_terminals_language(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    (tmp_path / "copy.sqlite3").write_bytes(b"")
    result = run_coach(tmp_path, "backup", str(tmp_path / "copy.sqlite3"), LANG="fi_FI.UTF-8")
    assert result.returncode == 2
    assert "on jo olemassa" in result.stderr


def test_a_missing_database_is_refused_and_not_created(tmp_path):
    result = run_coach(tmp_path, "backup", str(tmp_path / "copy.sqlite3"))
    assert result.returncode == 2
    assert "no database" in result.stderr
    assert not (tmp_path / "coach.sqlite3").exists()
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_damaged_database_gives_no_backup(tmp_path):
    source = tmp_path / "coach.sqlite3"
    connection = sqlite3.connect(source)
    connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    connection.executemany("INSERT INTO note (body) VALUES (?)",
                           [(f"note {n}",) for n in range(2000)])
    connection.execute("CREATE INDEX note_body ON note (body)")
    connection.commit()
    connection.close()
    # Change one row behind the index's back: the file opens, but its check fails.
    data = bytearray(source.read_bytes())
    where = data.index(b"note 1234")
    data[where:where + 4] = b"NOTE"
    source.write_bytes(bytes(data))

    result = run_coach(tmp_path, "backup", str(tmp_path / "copy.sqlite3"))
    assert result.returncode == 1
    assert "failed its check" in result.stderr and "missing from index" in result.stderr
    assert not [p for p in tmp_path.iterdir() if "copy" in p.name]
    with pytest.raises(BackupDamaged):
        backup_sqlite(source, tmp_path / "copy.sqlite3")


def test_on_postgresql_it_prints_the_pg_dump_command_without_the_password(tmp_path):
    result = run_coach(tmp_path, "backup", "/backups/coach.dump",
                       DATABASE_URL="postgresql://coach:s3cret-pw@db.internal:5433/coach")
    assert result.returncode == 2  # nothing was written; a script must not think otherwise
    assert "pg_dump --format=custom --file=/backups/coach.dump --host=db.internal " \
           "--port=5433 --username=coach coach" in result.stdout
    assert "pg_restore" in result.stdout and "PGPASSWORD" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert not Path("/backups/coach.dump").exists()


def test_pg_dump_command_quotes_what_the_shell_would_split():
    config = parse_database_url("postgresql://co%20ach@db:5432/my%3Bdb")
    command = pg_dump_command(config, "my backups/coach.dump")
    assert "'--file=my backups/coach.dump'" in command
    assert "'--username=co ach'" in command
