"""What compressing pages costs: the same pages sent plain, in brotli and in gzip, in turn.

    python bench/compression_ab.py                # 3 rounds of 4 s per page and coding
    python bench/compression_ab.py --rounds 5 --seconds 6

One `coach serve` worker on `coach demo` data (SQLite), coach1 signed in, wrk (or the
asyncio client) with 16 connections. For the group page and the participant page it loads
each coding in turn, round after round, so that the machine's swings fall on all three
alike, and prints the worker's CPU time per request (from /proc) and the bytes of one
answer. "plain" sends no Sec-Fetch-Site, so the page is not compressed
(coach.page_compression); "br" and "gzip" say what a phone's browser says.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import httpload  # noqa: E402
from bench.pages import cpu_seconds, listening_pid, pages_of_coach1  # noqa: E402
from bench.servers import coach_server, demo_environment, free_port  # noqa: E402

CODINGS = {
    "plain": {},
    "br": {"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "same-origin"},
    "gzip": {"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"},
}


def sent_bytes(url: str, headers: dict[str, str]) -> int:
    """The body of one answer as sent (compressed when it is)."""
    with httpx.Client() as client, client.stream("GET", url, headers=headers) as response:
        return sum(len(chunk) for chunk in response.iter_raw())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4, help="per page, coding and round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tool", choices=["auto", "wrk", "asyncio"], default="auto")
    args = parser.parse_args()
    tool = httpload.tool_name(args.tool)
    with demo_environment(None) as env, coach_server(env, free_port()) as base:
        urls, cookies = pages_of_coach1(base)
        pid = listening_pid(base)
        for page in ("group page", "participant page"):
            url = base + urls[page]
            cpu: dict[str, list[float]] = {coding: [] for coding in CODINGS}
            for _ in range(args.rounds):
                for coding, extra in CODINGS.items():
                    headers = {"Cookie": cookies, "Accept-Language": "fi", **extra}
                    httpload.run(url, seconds=1, connections=args.connections,
                                 headers=headers, tool=tool)  # warm-up
                    time.sleep(0.5)
                    before = cpu_seconds(pid)
                    result = httpload.run(url, seconds=args.seconds,
                                          connections=args.connections, headers=headers,
                                          tool=tool)
                    if result.bad:
                        print(f"{page} {coding}: {result.bad} bad answers")
                        return 1
                    cpu[coding].append(1000 * (cpu_seconds(pid) - before)
                                       / max(result.requests, 1))
            for coding, extra in CODINGS.items():
                size = sent_bytes(url, {"Cookie": cookies, "Accept-Language": "fi", **extra})
                rounds = ", ".join(f"{value:.2f}" for value in cpu[coding])
                print(f"{page:17} {coding:5} {size:>7,} bytes  CPU/request median "
                      f"{statistics.median(cpu[coding]):.2f} ms ({rounds})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
