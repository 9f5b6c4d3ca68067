"""The data folder and the SQLite files are private to their owner, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat

from coach.cli import warn_about_open_files
from coach.db import SQLITE_SUFFIXES, make_engine, open_to_others
from coach.settings import DatabaseConfig, Settings


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_and_database_files_are_private_with_a_loose_umask(tmp_path):
    path = tmp_path / "data" / "coach.sqlite3"
    old = os.umask(0o022)
    try:
        make_engine(DatabaseConfig(engine="sqlite", path=path))
        with sqlite3.connect(path) as connection:  # a write creates -wal and -shm
            connection.execute("CREATE TABLE probe (x INTEGER)")
            connection.execute("INSERT INTO probe VALUES (1)")
            files = [path.parent / (path.name + suffix) for suffix in SQLITE_SUFFIXES]
            assert all(file.exists() for file in files)
            assert mode(path.parent) == 0o700
            assert [mode(file) for file in files] == [0o600] * 3
    finally:
        os.umask(old)
    assert open_to_others(path) == []


def test_serve_warns_about_files_others_can_read(tmp_path, capsys):
    path = tmp_path / "open" / "coach.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"")
    path.parent.chmod(0o755)
    path.chmod(0o644)
    settings = Settings(env="development", data_dir=path.parent, secret_key="x" * 40, port=1,
                        database=DatabaseConfig(engine="sqlite", path=path))
    warnings = warn_about_open_files(settings)
    assert len(warnings) == 2
    assert str(path) in capsys.readouterr().err
    path.parent.chmod(0o700)
    path.chmod(0o600)
    assert warn_about_open_files(settings) == []
