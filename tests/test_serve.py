"""`coach serve` as a real server: it answers, and keeps a pool on PostgreSQL."""

import asyncio
import os
import socket
import sys

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


async def run_coach(environment: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "coach.cli", *args, env=environment,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


async def test_coach_serve_answers_and_keeps_a_postgresql_pool(tmp_path):
    port = free_port()
    environment = dict(os.environ, PORT=str(port), COACH_DB_POOL_SIZE="4")
    on_postgres = User._meta.db.engine_type == "postgres"
    if not on_postgres:
        environment["COACH_DATA_DIR"] = str(tmp_path)  # SQLite: a database of its own
        migrate = await run_coach(environment, "migrate")
        assert await migrate.wait() == 0
    server = await run_coach(environment, "serve")
    try:
        response = None
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    response = await http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        assert response is not None and response.status_code == 200
        assert response.json() == {"status": "ok"}
        if on_postgres:
            assert await pooled_connections() >= 1
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=20)
    if on_postgres:
        for _ in range(50):
            if await pooled_connections() == 0:
                break
            await asyncio.sleep(0.1)
        assert await pooled_connections() == 0  # closed at shut-down
