"""How long one worker stops answering others while an evaluator's heavy page is computed.

    python bench/stall.py --data-dir /tmp/big50      # a folder `coach demo --groups 5000
                                                     #   --participants 50000` filled (SQLite)
    python bench/stall.py --data-dir DIR --page /exports/data.zip

One `coach serve` worker on a copy of the data (so that a report's snapshot from an earlier
run is not reused). While the evaluator loads a heavy page once (cold: nothing kept yet), a
second client asks for /healthz every 20 ms, one request at a time, and its answers' times
are recorded. Prints the longest and the 99th-percentile /healthz time during the heavy
request, and the same before it (the quiet baseline, measured in the same run): a worker
that runs a long statement on its event loop answers nobody else meanwhile.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import SECRET, coach_server, free_port, sign_in  # noqa: E402


def poll(base: str, stop: threading.Event, times: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(0.02)


def watch(base: str, seconds: float | None, action=None) -> tuple[list[float], float]:
    """Poll /healthz for `seconds`, or while `action` runs; return the times and its duration."""
    stop, times = threading.Event(), []
    poller = threading.Thread(target=poll, args=(base, stop, times))
    poller.start()
    started = time.perf_counter()
    try:
        if action is None:
            time.sleep(seconds)
        else:
            action()
    finally:
        took = time.perf_counter() - started
        stop.set()
        poller.join()
    return times, took


def describe(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (f"{label:34} {len(times):5} answers  median {statistics.median(times) * 1000:7.1f} ms"
            f"  p99 {p99 * 1000:7.1f} ms  longest {ordered[-1] * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a data folder `coach demo` filled")
    parser.add_argument("--page", default="/reports", help="the heavy page (default /reports)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coach-stall-") as copy:
        data = Path(copy) / "data"
        shutil.copytree(args.data_dir, data)
        env = {"COACH_DATA_DIR": str(data), "COACH_SECRET_KEY": SECRET,
               "COACH_ENV": "development", "PATH": "/usr/bin:/bin"}
        with coach_server({**env, **_python_env()}, free_port()) as base, \
                httpx.Client(base_url=base, follow_redirects=False) as evaluator:
            sign_in(evaluator, "evaluator")
            quiet, _ = watch(base, 3)
            answers: list[int] = []

            def heavy() -> None:
                answers.append(evaluator.get(args.page, timeout=900).status_code)

            busy, took = watch(base, None, heavy)
        print(f"{args.page} answered {answers[0]} in {took:.1f} s (cold), one worker, SQLite "
              f"unless DATABASE_URL is set")
        print(describe("/healthz before, quiet", quiet))
        print(describe(f"/healthz during {args.page}", busy))
    return 0 if answers == [200] else 1


def _python_env() -> dict[str, str]:
    import os

    keep = ("PATH", "HOME", "VIRTUAL_ENV", "PYTHONPATH", "DATABASE_URL")
    return {name: os.environ[name] for name in keep if name in os.environ}


if __name__ == "__main__":
    sys.exit(main())
