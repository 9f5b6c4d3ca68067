"""Where a page's time goes: py-spy samples a real `coach serve` while wrk loads one URL.

    python bench/profile_page.py                       # the coach's group page, SQLite
    python bench/profile_page.py --page participant --seconds 15
    python bench/profile_page.py --page /healthz --postgres postgresql://postgres@127.0.0.1:5432/postgres

Needs `py-spy` (pip install py-spy) and `wrk`. The server is started as in production
(one uvicorn worker) on a fresh `coach demo` database; coach1 signs in; wrk loads the
URL with 16 connections while py-spy samples the worker. Prints the share of samples
spent in each part (a sample counts once per part on its stack, so parts overlap) and
the functions of the app that take most, inclusive of what they call.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import pages_of_coach1  # noqa: E402
from bench.servers import coach_server, demo_environment, free_port  # noqa: E402

# A frame's file decides its part; the first matching fragment wins.
PARTS = [
    ("sqlite3 (C, in the database)", "sqlite3"),
    ("asyncpg", "asyncpg/"),
    ("piccolo: building and running queries", "piccolo/"),
    ("jinja2: templates", "jinja2/"),
    ("templates of the app", "/templates/"),
    ("babel: dates and numbers", "babel/"),
    ("litestar: routing, middleware, responses", "litestar/"),
    ("uvicorn + h11: HTTP", "uvicorn/"),
    ("uvicorn + h11: HTTP", "h11/"),
    ("asyncio: event loop", "asyncio/"),
    ("app: coach/", "(coach/"),
]
SHORT = {"group": "group page", "participant": "participant page", "meeting": "log a meeting"}


def frames_of(line: str) -> tuple[list[str], int]:
    """Split a py-spy raw (collapsed) line into its frames and its sample count."""
    stack, _space, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def part_of(frame: str) -> str | None:
    for name, fragment in PARTS:
        if fragment in frame:
            return name
    return None


def summarise(raw: Path, top: int) -> None:
    parts: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        frames, count = frames_of(line)
        total += count
        frames = [frame for frame in frames if "(coach/cli.py" not in frame]  # `coach serve`
        for name in {part_of(frame) for frame in frames} - {None}:
            parts[name] += count
        for frame in {frame for frame in frames if "(coach/" in frame}:
            functions[frame.rsplit(":", 1)[0] + ")"] += count
    if not total:
        print("py-spy took no samples")
        return
    print(f"\n{total} samples; share of samples with each part on the stack:")
    for name, count in parts.most_common():
        print(f"  {count / total:6.1%}  {name}")
    print(f"\nthe app's functions, inclusive (top {top}):")
    for name, count in functions.most_common(top):
        print(f"  {count / total:6.1%}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="group",
                        help="group, participant, meeting, or a path such as /healthz")
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--keep", metavar="FILE", help="also write the raw py-spy output here")
    args = parser.parse_args()
    with demo_environment(args.postgres) as env, coach_server(env, free_port()) as base:
        urls, cookies = pages_of_coach1(base)
        url = urls.get(SHORT.get(args.page, args.page), args.page)
        if httpx.get(base + url, headers={"Cookie": cookies}).status_code != 200:
            raise SystemExit(f"{url} does not answer 200")
        worker = subprocess.run(["pgrep", "-f", "--", f"--port {base.rsplit(':', 1)[1]}"],  # noqa: S603, S607
                                capture_output=True, text=True, check=True).stdout.split()[0]
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(args.keep or Path(folder) / "profile.txt")
            load = subprocess.Popen(["wrk", "-t", "2", "-c", "16", "-d",  # noqa: S603, S607
                                     f"{args.seconds + 3}s", "-H", f"Cookie: {cookies}",
                                     "-H", "Accept-Language: fi", base + url],
                                    stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)
            subprocess.run(["py-spy", "record", "--pid", worker, "--duration",  # noqa: S603, S607
                            str(args.seconds), "--rate", "250", "--format", "raw",
                            "--output", str(raw), "--nonblocking"],
                           check=True, capture_output=True)
            print(load.communicate()[0].strip().splitlines()[-2])  # requests/sec
            print(f"profile of {url} ({'PostgreSQL' if args.postgres else 'SQLite'})")
            summarise(raw, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
