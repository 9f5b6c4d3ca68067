"""Time `coach demo` on a large data set; print the time, rows per table and database size.

    python bench/demo_large.py                       # 5,000 groups, 50,000 participants, SQLite
    python bench/demo_large.py --groups 500 --participants 5000
    python bench/demo_large.py --database-url postgresql://postgres@127.0.0.1/empty_db

The SQLite database goes to a temporary data folder, removed afterwards unless --keep.
A PostgreSQL database must exist and be empty; it is left as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coach.piccolo_app import TABLES
from coach.settings import parse_database_url


def run_demo(groups: int, participants: int, env: dict[str, str]) -> float:
    """Run the real command; return its wall-clock time in seconds."""
    command = [sys.executable, "-m", "coach.cli", "demo", "--password", "bench",
               "--groups", str(groups), "--participants", str(participants)]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def sqlite_figures(path: Path) -> tuple[dict[str, int], int]:
    with sqlite3.connect(path) as connection:
        counts = {
            table._meta.tablename: connection.execute(
                f'SELECT COUNT(*) FROM "{table._meta.tablename}"'  # noqa: S608
            ).fetchone()[0]
            for table in TABLES
        }
    size = sum(file.stat().st_size for file in path.parent.glob(path.name + "*"))
    return counts, size


async def postgres_figures(url: str) -> tuple[dict[str, int], int]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        counts = {
            table._meta.tablename: await connection.fetchval(
                f'SELECT COUNT(*) FROM "{table._meta.tablename}"'  # noqa: S608
            )
            for table in TABLES
        }
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    return counts, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--participants", type=int, default=50000)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite data folder")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    env = dict(os.environ, COACH_DATA_DIR=str(data_dir), COACH_ENV="development")
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    try:
        elapsed = run_demo(args.groups, args.participants, env)
        if args.database_url:
            database = parse_database_url(args.database_url).describe()
            counts, size = asyncio.run(postgres_figures(args.database_url))
        else:
            path = data_dir / "coach.sqlite3"
            database = f"sqlite:{path}"
            counts, size = sqlite_figures(path)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    print(f"coach demo --groups {args.groups} --participants {args.participants}")
    print(f"database: {database}{' (kept)' if args.keep and not args.database_url else ''}")
    print(f"elapsed: {elapsed:.1f} s")
    print(f"database size: {size / 1_000_000:.1f} MB")
    print("rows:")
    for name, count in counts.items():
        print(f"  {name:<16} {count:>12,}")
    print(f"  {'total':<16} {sum(counts.values()):>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
