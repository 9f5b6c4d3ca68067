"""Requests per second of the coach's pages against a Litestar hello-world, from one run.

    python bench/pages.py                              # SQLite (the default), demo data
    python bench/pages.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/pages.py --seconds 5 --connections 16 --tool asyncio
    python bench/pages.py --as-browser                 # pages compressed, as a phone gets them

A hello-world app and `coach serve` are started the same way (uvicorn, one worker, on
127.0.0.1), `coach demo` fills a fresh database (with --postgres: a new database created
on that server and dropped afterwards), coach1 signs in, and every URL is loaded with the
same tool and connection count (`wrk` when installed, else bench/httpload.py's asyncio
client). Prints requests/s and the ratio to hello-world, and the targets of issue 10.

It also prints the server's CPU time per request (user + system time of the worker process
over the run, from /proc, divided by the requests it answered) and the same ratio computed
from it: on a shared machine the rate swings with what else runs, CPU per request much less.
With --as-browser every request also says what a phone's browser says (Accept-Encoding
and Sec-Fetch-Site: same-origin), so that pages are compressed (coach.page_compression) and
the cost of that is in the figures; without it, pages are sent as they are.
Exits 1 when a page answers with a 4xx/5xx under load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import httpload  # noqa: E402
from bench.servers import (  # noqa: E402
    coach_server,
    cookie_header,
    demo_environment,
    first_link,
    free_port,
    hello_server,
    sign_in,
)

# (label, target on SQLite, target on PostgreSQL) of issue 10; None: no target.
TARGETS = {
    "group page": (0.25, 0.15),
    "participant page": (0.15, None),
    "log a meeting": (0.25, None),
}


def pages_of_coach1(base: str) -> tuple[dict[str, str], str]:
    """Sign coach1 in; return the URLs to measure and the cookie header."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        sign_in(client, "coach1")
        home = client.get("/").text
        group = first_link(home, r"/groups/\d+")
        group_html = client.get(group).text
        participant = first_link(group_html, r"/participants/\d+")
        urls = {
            "/healthz": "/healthz",
            "static file": "/static/app.js",
            "group page": group,
            "participant page": participant,
            "log a meeting": f"{group}/meetings/new",
        }
        for label, url in urls.items():
            status = client.get(url).status_code
            if status != 200:
                raise RuntimeError(f"{label} {url} answered {status}")
        return urls, cookie_header(client)


def listening_pid(base: str) -> int:
    """The pid of the server process listening on base's port (uvicorn with one worker)."""
    port = base.rsplit(":", 1)[1]
    output = subprocess.run(["pgrep", "-f", "--", f"--port {port}"],  # noqa: S603, S607
                            capture_output=True, text=True, check=True).stdout
    return int(output.split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="serve from PostgreSQL at URL")
    parser.add_argument("--seconds", type=float, default=10, help="per URL (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tool", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--as-browser", action="store_true",
                        help="send a browser's Accept-Encoding and Sec-Fetch-Site")
    args = parser.parse_args()
    tool = httpload.tool_name(args.tool)
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"engine {engine}, tool {tool}, {args.connections} connections, "
          f"{args.seconds:g} s per URL, one uvicorn worker each"
          f"{', as a browser (pages compressed)' if args.as_browser else ''}", flush=True)

    def measure(url: str, headers: dict[str, str], pid: int
                ) -> tuple[httpload.Result, float]:
        """Load url; return the result and the server's CPU milliseconds per request."""
        httpload.run(url, seconds=1, connections=args.connections, headers=headers,
                     tool=tool)  # warm-up: caches, compiled templates
        time.sleep(0.5)
        before = cpu_seconds(pid)
        result = httpload.run(url, seconds=args.seconds, connections=args.connections,
                              headers=headers, tool=tool)
        return result, 1000 * (cpu_seconds(pid) - before) / max(result.requests, 1)

    with hello_server(free_port()) as hello_base:
        hello, hello_cpu = measure(hello_base + "/", {}, listening_pid(hello_base))
    print(f"{'hello-world':18} {hello.rate:8.0f} req/s {'':24} {hello_cpu:6.2f} ms CPU/request",
          flush=True)
    failed = False
    with demo_environment(args.postgres) as env, coach_server(env, free_port()) as base:
        urls, cookies = pages_of_coach1(base)
        headers = {"Cookie": cookies, "Accept-Language": "fi"}
        if args.as_browser:
            headers.update({"Accept-Encoding": "gzip, deflate, br, zstd",
                            "Sec-Fetch-Site": "same-origin"})
        pid = listening_pid(base)
        for label, url in urls.items():
            result, cpu = measure(base + url, headers, pid)
            ratio = result.rate / hello.rate
            target = TARGETS.get(label, (None, None))[1 if args.postgres else 0]
            verdict = ""
            if target is not None:
                verdict = f"target {target:.0%}: {'met' if ratio >= target else 'NOT met'}"
            print(f"{label:18} {result.rate:8.0f} req/s {ratio:7.1%} of hello-world  "
                  f"{cpu:6.2f} ms CPU/request ({hello_cpu / cpu:6.1%} of hello-world's "
                  f"rate by CPU)  {verdict}", flush=True)
            if result.bad:
                print(f"  {result.bad} responses were 4xx/5xx or errors", flush=True)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
