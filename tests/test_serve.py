"""`coach serve` as a real server: it answers, and keeps a pool on PostgreSQL."""

import os
import socket
import subprocess
import sys
import time

import httpx

from coach.accounts.tables import User


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def pooled_connections() -> int:
    rows = await User.raw(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'coach'"
    )
    return rows[0]["n"]


async def test_coach_serve_answers_and_keeps_a_postgresql_pool(tmp_path):
    port = free_port()
    environment = dict(os.environ, PORT=str(port), COACH_DB_POOL_SIZE="4")
    if "DATABASE_URL" not in environment:
        environment["COACH_DATA_DIR"] = str(tmp_path)  # SQLite: a database of its own
        subprocess.run([sys.executable, "-m", "coach.cli", "migrate"], env=environment,
                       check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "coach.cli", "serve"], env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        response = None
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200
        assert response.json() == {"status": "ok"}
        if User._meta.db.engine_type == "postgres":
            assert await pooled_connections() >= 1
    finally:
        server.terminate()
        server.wait(timeout=20)
    if User._meta.db.engine_type == "postgres":
        for _ in range(50):
            if await pooled_connections() == 0:
                break
            time.sleep(0.1)
        assert await pooled_connections() == 0  # closed at shut-down
