"""Many coaches logging meetings at once against two workers: nothing lost, nothing doubled.

    python bench/load.py                          # SQLite (the default), 200 coaches, 60 s
    python bench/load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/load.py --coaches 50 --seconds 10

A fresh database gets the demo data plus one group of five participants per simulated
coach; `coach serve --workers 2` serves it on 127.0.0.1. Each simulated coach (its own
connection and address, as its own phone would have) signs in through /login, then, until
the time is up, opens "Log a meeting" and saves a meeting with some participants ticked.
A meeting counts as acknowledged when the save answers 303. At the end the database must
hold exactly the acknowledged meetings and their attendance rows, no response may be a 5xx,
and the server log may not mention "database is locked". Prints counts and the 50th and
99th percentile latency of the saves and of the form. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import PASSWORD, ROOT, coach_server, demo_environment, free_port  # noqa: E402

PEOPLE_PER_GROUP = 5
USERNAME = "loadcoach{}"


async def make_coaches(count: int) -> None:
    """Create `count` coaches, each with a group of PEOPLE_PER_GROUP participants."""
    from coach.app import bind_tables
    from coach.settings import load_settings
    from tests.factories import make_group, make_participant, make_user

    bind_tables(load_settings())
    for number in range(count):
        coach = await make_user(USERNAME.format(number), "coach", password=PASSWORD)
        group = await make_group(f"Kuormaryhmä {number}", coaches=[coach],
                                 starts_on=dt.date.today() - dt.timedelta(weeks=4))
        for person in range(PEOPLE_PER_GROUP):
            await make_participant(group, display_name=f"Osallistuja {person + 1}")


@dataclass
class Tally:
    acknowledged: int = 0
    present: int = 0  # attendance rows with present = true that were acknowledged
    refused: int = 0  # the form came back (a message next to a field): nothing saved
    unknown: int = 0  # no answer (timeout, dropped connection): may or may not be saved
    signed_in: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    save_ms: list[float] = field(default_factory=list)
    form_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # requests that got no answer

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def one_coach(base: str, number: int, start: Start, tally: Tally) -> None:
    """Run a coach; a dropped connection is counted (and shown in the log), not fatal."""
    try:
        await coach_session(base, number, start, tally)
    except httpx.HTTPError as error:
        tally.errors.append(f"{type(error).__name__}: {error}")
        await start.arrive_once()


async def coach_session(base: str, number: int, start: Start, tally: Tally) -> None:
    """Sign in, wait until every coach has, then log meetings until the time is up."""
    headers = {"X-Forwarded-For": f"10.{number // 250}.{number % 250}.1",
               "Accept-Language": "fi"}
    # A kept-alive connection is given up after 2 s idle, before uvicorn closes it (after 5 s):
    # with httpx's own 5 s, a coach that waited for the start could send on a connection
    # the server was closing at that moment ("Server disconnected without sending a
    # response"), which is the client's race, not a lost request.
    limits = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120,
                                 limits=limits) as client:
        await client.get("/login")
        token = client.cookies.get("csrftoken")
        response = await client.post("/login", data={
            "username": USERNAME.format(number), "password": PASSWORD, "_csrf_token": token})
        tally.count(response.status_code)
        signed_in = response.status_code == 303
        if signed_in:
            tally.signed_in += 1
            group = _first_group((await client.get("/")).text)
        deadline = await start.arrive_once()
        while signed_in and time.monotonic() < deadline:
            started = time.perf_counter()
            form = await client.get(f"{group}/meetings/new")
            tally.form_ms.append((time.perf_counter() - started) * 1000)
            tally.count(form.status_code)
            people = _participant_ids(form.text)
            ticked = random.sample(people, k=random.randint(1, len(people)))  # noqa: S311
            data = {"_csrf_token": token, "held_on": dt.date.today().isoformat(),
                    "duration_minutes": "90", "themes": ["physical_activity"],
                    "present": ticked, "private_note": "", "confirm_same_day": "1"}
            started = time.perf_counter()
            try:
                response = await client.post(f"{group}/meetings/new", data=data)
            except httpx.HTTPError as error:
                tally.unknown += 1
                tally.errors.append(f"{type(error).__name__}: {error}")
                continue
            tally.save_ms.append((time.perf_counter() - started) * 1000)
            tally.count(response.status_code)
            if response.status_code == 303:
                tally.acknowledged += 1
                tally.present += len(ticked)
            elif response.status_code < 500:
                tally.refused += 1


def _first_group(html: str) -> str:
    import re

    return re.search(r"/groups/\d+", html).group(0)


def _participant_ids(html: str) -> list[str]:
    import re

    return sorted(set(re.findall(r'name="present" value="(\d+)"', html)))


class Start:
    """The timed part begins when every coach has signed in (argon2 makes that slow)."""

    def __init__(self, coaches: int, seconds: float):
        self.waiting, self.seconds = coaches, seconds
        self.event = asyncio.Event()
        self.deadline = 0.0
        self.arrived: set[asyncio.Task] = set()

    async def arrive_once(self) -> float:
        """Count this coach as ready (once, even after an error) and wait for the others."""
        task = asyncio.current_task()
        if task in self.arrived:
            return self.deadline
        self.arrived.add(task)
        self.waiting -= 1
        if self.waiting == 0:
            self.deadline = time.monotonic() + self.seconds
            self.event.set()
        await self.event.wait()
        return self.deadline


async def run_coaches(base: str, coaches: int, seconds: float) -> Tally:
    tally = Tally()
    start = Start(coaches, seconds)
    await asyncio.gather(*(one_coach(base, number, start, tally)
                           for number in range(coaches)))
    return tally


def stored_counts(env: dict[str, str]) -> tuple[int, int, int]:
    """Return (meetings, attendance rows, present rows) of the load coaches' groups."""
    code = (
        "import asyncio\n"
        "from coach.app import bind_tables\n"
        "from coach.settings import load_settings\n"
        "from coach.meetings.tables import Meeting, Attendance\n"
        "bind_tables(load_settings())\n"
        "async def main():\n"
        "    load = Meeting.group.name.like('Kuormaryhmä %')\n"
        "    meetings = await Meeting.count().where(load)\n"
        "    rows = await Attendance.count().where(Attendance.meeting.group.name.like("
        "'Kuormaryhmä %'))\n"
        "    present = await Attendance.count().where(Attendance.meeting.group.name.like("
        "'Kuormaryhmä %')).where(Attendance.present == True)\n"  # noqa: E712
        "    print(meetings, rows, present)\n"
        "asyncio.run(main())\n"
    )
    output = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,  # noqa: S603
                            check=True, capture_output=True, text=True).stdout
    meetings, rows, present = (int(value) for value in output.split())
    return meetings, rows, present


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="serve from PostgreSQL at URL")
    parser.add_argument("--coaches", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--make-coaches", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_coaches is not None:  # the set-up step, run in the server's environment
        asyncio.run(make_coaches(args.make_coaches))
        return 0
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"engine {engine}, {args.coaches} coaches, {args.seconds:g} s, "
          f"{args.workers} workers", flush=True)
    with demo_environment(args.postgres) as env, tempfile.TemporaryDirectory() as logs:
        subprocess.run([sys.executable, __file__, "--make-coaches", str(args.coaches)],  # noqa: S603
                       env=env, cwd=ROOT, check=True)
        log_path = Path(logs) / "server.log"
        with coach_server(env, free_port(), workers=args.workers, log_path=log_path) as base:
            tally = asyncio.run(run_coaches(base, args.coaches, args.seconds))
            elapsed = args.seconds
        meetings, rows, present = stored_counts(env)
        log = log_path.read_text(errors="replace")
    expected_rows = tally.acknowledged * PEOPLE_PER_GROUP
    checks = {
        "every coach signed in": tally.signed_in == args.coaches,
        "meetings were saved": tally.acknowledged > 0,
        "no 5xx": not any(status >= 500 for status in tally.statuses),
        "every request answered": not tally.errors,
        'no "database is locked"': "database is locked" not in log,
        "meetings stored = acknowledged": meetings == tally.acknowledged or (
            tally.unknown and tally.acknowledged <= meetings <= tally.acknowledged
            + tally.unknown),
        "attendance rows stored = acknowledged": rows == expected_rows or (
            tally.unknown and expected_rows <= rows <= expected_rows
            + tally.unknown * PEOPLE_PER_GROUP),
        "present rows stored = acknowledged": present == tally.present or bool(tally.unknown),
    }
    print(f"saves acknowledged {tally.acknowledged} in {elapsed:.0f} s "
          f"({tally.acknowledged / elapsed:.1f}/s), refused {tally.refused}, "
          f"no answer {tally.unknown}; statuses {dict(sorted(tally.statuses.items()))}")
    print(f"stored: {meetings} meetings, {rows} attendance rows ({present} present); "
          f"expected {tally.acknowledged}, {expected_rows} ({tally.present})")
    print(f"save latency p50 {percentile(tally.save_ms, 0.5):.0f} ms, "
          f"p99 {percentile(tally.save_ms, 0.99):.0f} ms; "
          f"form p50 {percentile(tally.form_ms, 0.5):.0f} ms, "
          f"p99 {percentile(tally.form_ms, 0.99):.0f} ms")
    for name, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    if tally.errors:
        print(f"{len(tally.errors)} requests got no answer, first: {tally.errors[0]}")
    if not all(checks.values()):
        print("server log, last lines:\n" + "\n".join(log.splitlines()[-15:]))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
