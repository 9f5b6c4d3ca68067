"""Shared by the benchmarks: a demo database, servers started as in production, sign-in.

Everything listens on 127.0.0.1 only and is stopped (and a PostgreSQL database made for
the run is dropped) when the `with` block ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026"  # noqa: S105 (demo users of a throw-away database)
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_sql(url: str, statement: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def analyze_database(url: str) -> None:
    """Give PostgreSQL's planner the statistics of freshly loaded tables.

    Autovacuum would gather them within minutes (when it is on); the benchmarks measure
    right after `coach demo`, so they ask for them at once.
    """
    _run_sql(url, "ANALYZE")


@contextlib.contextmanager
def demo_environment(postgres: str | None, groups: int = 2,
                     participants: int = 14,
                     database_name: str | None = None) -> Iterator[dict[str, str]]:
    """Yield the environment of a fresh database filled by `coach demo`.

    With `postgres`, the database is created on that server (named `database_name`,
    by default coach_bench_<pid>) and dropped afterwards, also after an error or Ctrl-C.
    """
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as data_dir:
        env = {**os.environ, "COACH_DATA_DIR": data_dir, "COACH_SECRET_KEY": SECRET,
               "COACH_ENV": "development"}
        env.pop("DATABASE_URL", None)
        database = None
        if postgres:
            parts = urlsplit(postgres)
            database = database_name or f"coach_bench_{os.getpid()}"
            _run_sql(postgres, f'CREATE DATABASE "{database}"')
            env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
        try:
            subprocess.run([sys.executable, "-m", "coach.cli", "demo", "--password", PASSWORD,  # noqa: S603
                            "--groups", str(groups), "--participants", str(participants)],
                           env=env, cwd=ROOT, check=True, capture_output=True)
            yield env
        finally:
            if database:
                _run_sql(postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextlib.contextmanager
def server(command: list[str], env: dict[str, str], ready_path: str, port: int,
           log_path: Path | None = None) -> Iterator[str]:
    """Start a server process, wait until ready_path answers, yield its base URL."""
    # The log goes to a file: a pipe nobody reads would fill up and stop the server.
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{command} exited: {log.read().decode()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + ready_path, timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{command} did not answer on {base}{ready_path}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def hello_server(port: int) -> contextlib.AbstractContextManager[str]:
    command = [sys.executable, "-m", "uvicorn", "bench.hello:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--no-access-log"]
    return server(command, dict(os.environ), "/", port)


def coach_server(env: dict[str, str], port: int, workers: int = 1,
                 log_path: Path | None = None) -> contextlib.AbstractContextManager[str]:
    command = [sys.executable, "-m", "coach.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    return server(command, env, "/healthz", port, log_path)


def sign_in(client: httpx.Client | httpx.AsyncClient, username: str) -> None:
    """Sign in through the /login form; later unsafe requests carry the CSRF header."""
    assert isinstance(client, httpx.Client)
    client.get("/login").raise_for_status()
    token = client.cookies.get("csrftoken")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "_csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in of {username} failed: {response.status_code}")
    client.headers["x-csrftoken"] = token


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def first_link(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    if match is None:
        raise RuntimeError(f"no link matching {pattern}")
    return match.group(0)


def new_token() -> str:
    return secrets.token_hex(8)
