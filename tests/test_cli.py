"""The `coach` command, run as a user would run it."""

import os
import sqlite3
import subprocess
import sys

import pytest


def run_coach(tmp_path, *args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    environment.update(COACH_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_migrate_creates_the_tables(tmp_path):
    result = run_coach(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "coach.sqlite3").execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"participant", "meeting", "assessment", "audit_event", "app_user"} <= tables


def test_migrated_sqlite_file_uses_write_ahead_logging(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    mode = sqlite3.connect(tmp_path / "coach.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode[0] == "wal"


def test_user_add_reads_the_password_from_the_environment(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    result = run_coach(
        tmp_path,
        "user",
        "add",
        "--role",
        "coach",
        "maija",
        COACH_PASSWORD="a long enough passphrase 9",
    )
    assert result.returncode == 0, result.stderr
    row = (
        sqlite3.connect(tmp_path / "coach.sqlite3")
        .execute("SELECT role, password_hash FROM app_user WHERE username='maija'")
        .fetchone()
    )
    assert row[0] == "coach"
    assert row[1].startswith("$argon2id$")
    assert "a long enough passphrase 9" not in result.stdout + result.stderr


@pytest.mark.parametrize("password", ["short", "password1234"])
def test_user_add_refuses_a_weak_password_and_saves_nothing(tmp_path, password):
    assert run_coach(tmp_path, "migrate").returncode == 0
    result = run_coach(tmp_path, "user", "add", "--role", "admin", "root", COACH_PASSWORD=password)
    assert result.returncode == 2
    assert "Password refused" in result.stderr
    count = (
        sqlite3.connect(tmp_path / "coach.sqlite3")
        .execute("SELECT count(*) FROM app_user")
        .fetchone()[0]
    )
    assert count == 0


def test_a_malformed_port_stops_serve_with_a_message_naming_it(tmp_path):
    result = run_coach(tmp_path, "serve", PORT="http")
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_database_engine_stops_with_a_message_naming_it(tmp_path):
    result = run_coach(tmp_path, "migrate", DATABASE_URL="mysql://localhost/coach")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_a_secret_refuses_to_start(tmp_path):
    result = run_coach(tmp_path, "serve", COACH_ENV="production", COACH_SECRET_KEY="")
    assert result.returncode == 2
    assert "COACH_SECRET_KEY" in result.stderr


def test_an_unreachable_database_gets_a_one_line_message_not_a_traceback(tmp_path):
    port = 1  # nothing listens there
    result = run_coach(tmp_path, "migrate",
                       DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/coach")
    assert result.returncode == 1
    assert "cannot use the database postgresql://postgres@127.0.0.1:1/coach" in result.stderr
    assert "Traceback" not in result.stderr
