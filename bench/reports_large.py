"""Time the evaluator's report pages on a large data set, served by a real `coach serve`.

    python bench/reports_large.py                    # 5,000 groups, 50,000 participants, SQLite
    python bench/reports_large.py --groups 500 --participants 5000
    python bench/reports_large.py --data-dir /tmp/big50   # reuse a folder `coach demo` filled
    python bench/reports_large.py --database-url postgresql://postgres@127.0.0.1/empty_db
    python bench/reports_large.py --database-url postgresql://... --filled --data-dir DIR

Each page is fetched several times by one client, signed in as the evaluator: the
first view of a report computes it ("cold"; a large project then keeps a snapshot for
ten minutes), the median of the others is "warm". Both are compared with /healthz
measured in the same run, so the ratios hold up on a machine whose speed swings from
one hour to the next.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PASSWORD = "bench-password-2026"  # noqa: S105 (the demo users' password in a bench)
# The summary comes before the funder's report, whose snapshot it shares.
PAGES = ("/healthz", "/reports", "/reports?year={year}", "/reports?group={group}",
         "/reports/summary", "/reports/funder", "/exports")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fill(groups: int, participants: int, env: dict[str, str], password: str) -> float:
    command = [sys.executable, "-m", "coach.cli", "demo", "--password", password,
               "--groups", str(groups), "--participants", str(participants)]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("coach serve did not start")


def sign_in(client: httpx.Client, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    data = {"username": "evaluator", "password": password, "next": "/"}
    if token:
        data["_csrf_token"] = token.group(1)
    response = client.post("/login", data=data, follow_redirects=False)
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code}")


def time_page(client: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    """Return the first view's seconds, the median of the next ones, and the page's size."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(path, timeout=600)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    return times[0], statistics.median(times[1:]), len(response.content)


def forget_snapshots(env: dict[str, str]) -> None:
    """Delete stored report snapshots, so that the first view of each report computes it."""
    code = ("import asyncio; from coach.app import bind_tables; "
            "from coach.settings import load_settings; "
            "from coach.reports.tables import ReportSnapshot; bind_tables(load_settings()); "
            "asyncio.run(ReportSnapshot.delete(force=True).run())")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)  # noqa: S603


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--participants", type=int, default=50000)
    parser.add_argument("--data-dir", default=None, help="a data folder `coach demo` filled")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    parser.add_argument("--filled", action="store_true",
                        help="the PostgreSQL database holds a demo already: do not fill it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--password", default=PASSWORD, help="the demo users' password")
    args = parser.parse_args()

    own_dir = args.data_dir is None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="coach-bench-"))
    env = dict(os.environ, COACH_DATA_DIR=str(data_dir), COACH_ENV="development")
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = None
    try:
        if own_dir or (args.database_url and not args.filled):
            print(f"coach demo: {fill(args.groups, args.participants, env, args.password):.1f} s")
        forget_snapshots(env)
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "coach.cli", "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(base)
        with httpx.Client(base_url=base, headers={"accept-language": "en"}) as client:
            sign_in(client, args.password)
            home = client.get("/reports?year=0000", timeout=600).text  # the filter only
            year = re.search(r'<option value="(\d{4})"', home)
            print(f"{'page':<28} {'cold s':>8} {'x healthz':>10} {'warm s':>8} "
                  f"{'x healthz':>10} {'KB':>7}")
            baseline = None
            group = None
            for path in PAGES:
                if "{group}" in path and group is None:
                    # A large project lists a year's groups once the year is chosen.
                    listing = client.get(f"/reports?year={year.group(1) if year else ''}",
                                         timeout=600).text
                    group = re.search(r'<option value="([0-9a-f]{12})"', listing)
                path = path.format(year=year.group(1) if year else "",
                                   group=group.group(1) if group else "")
                cold, warm, size = time_page(client, path, args.repeat)
                baseline = baseline or warm
                print(f"{path[:28]:<28} {cold:>8.3f} {cold / baseline:>10.0f} {warm:>8.3f} "
                      f"{warm / baseline:>10.0f} {size / 1000:>7.1f}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if own_dir and not args.database_url:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
