"""Peak memory of the anonymised export for 10,000 and 1,000,000 assessment rows.

Fills a scratch SQLite database (direct bulk inserts), runs the export of the zip
(CSV files, checks, datapackage.json, zip) in a child process for each size and
reads the child's peak RSS from the kernel; prints both and their ratio.
The participants stay the same (2,000); only the assessment rows (and their
answers) grow, so a ratio near 1 shows that memory does not grow with the rows.

    python bench/export_memory.py [--participants 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (10_000, 1_000_000)
START = dt.date(2025, 1, 6)


def child(database: str) -> None:
    """Export the database once into a scratch folder, zip included (run in a child)."""
    import asyncio

    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    from coach.app import bind_tables
    from coach.export.build import scratch_folder, write_package, zip_folder
    from coach.export.writer import STANDARD
    from coach.settings import load_settings

    bind_tables(load_settings())
    with scratch_folder() as folder:
        files = folder / "files"
        files.mkdir()
        summary = asyncio.run(write_package(files, 5, "standard", STANDARD))
        zip_folder(files, folder / "export.zip")
        print(json.dumps({"rows": summary.rows,
                          "zip_bytes": (folder / "export.zip").stat().st_size}))


def migrate(database: Path, data_dir: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", COACH_DATA_DIR=str(data_dir))
    subprocess.run([sys.executable, "-m", "coach.cli", "migrate"], env=env, check=True,  # noqa: S603
                   capture_output=True)


def fill_people(connection: sqlite3.Connection, participants: int) -> None:
    now = dt.datetime(2025, 1, 6, 12, tzinfo=dt.UTC).isoformat()
    end = START + dt.timedelta(weeks=52)
    # name_folded as coach.paging.fold() makes it, so that the group's search finds it.
    connection.execute("INSERT INTO coaching_group (id, name, name_folded, starts_on, ends_on, "
                       "usual_duration_minutes, assessment_interval_weeks, created_at) "
                       "VALUES (1, 'Bench', 'bench', ?, ?, 90, 4, ?)", (START, end, now))
    people, history = [], []
    genders, education = ("female", "male"), ("basic", "upper_secondary", "tertiary")
    for n in range(1, participants + 1):
        people.append((n, 1, f"Person {n}", 1960 + n % 40, genders[n % 2],
                       education[n % 3], "unemployed", "over_24", START, START, "1.0", now))
        history.append((n, n, "unemployed", START, now))
    connection.executemany(
        "INSERT INTO participant (id, \"group\", display_name, birth_year, gender, education, "
        "status_at_entry, unemployed_for, enrolled_on, consent_given_on, consent_version, "
        "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", people)
    connection.executemany(
        "INSERT INTO labour_status (id, participant, status, effective_on, recorded_at) "
        "VALUES (?,?,?,?,?)", history)


def fill_assessments(connection: sqlite3.Connection, first: int, last: int,
                     participants: int) -> None:
    """Insert assessment rows first..last (WHO-5, valid answers, scores from the file)."""
    from coach.assessments.instruments import get_instrument

    who5 = get_instrument("who5")
    batch = []
    for n in range(first, last + 1):
        answers = {item.id: (n + i) % 6 for i, item in enumerate(who5.items)}
        scored = who5.score(answers)
        day = START + dt.timedelta(days=(n // participants) % 360)
        batch.append((n, 1 + n % participants, "who5", who5.version, day,
                      f"{day}T12:00:00+00:00", json.dumps(answers), scored.raw_score,
                      scored.score, scored.band, "invite"))
        if len(batch) == 50_000 or n == last:
            connection.executemany(
                "INSERT INTO assessment (id, participant, instrument, instrument_version, "
                "taken_on, completed_at, answers, raw_score, score, band, mode) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
            connection.commit()
            batch = []


def measure(database: Path) -> tuple[int, float, dict]:
    """Run one export in a child process; return (peak RSS in KiB, seconds, its output)."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--child", str(database)], stdout=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read() if process.stdout else b""
    if status != 0:
        raise SystemExit(f"the export failed with status {status}")
    return usage.ru_maxrss, time.monotonic() - started, json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as scratch:
        database = Path(scratch) / "bench.sqlite3"
        migrate(database, Path(scratch))
        connection = sqlite3.connect(database)
        fill_people(connection, args.participants)
        connection.commit()
        results, filled = [], 0
        for size in SIZES:
            fill_assessments(connection, filled + 1, size, args.participants)
            filled = size
            peak, seconds, output = measure(database)
            results.append(peak)
            print(f"{size:>9,} assessment rows ({output['rows']['answers']:,} answers): "
                  f"peak RSS {peak / 1024:.1f} MiB, {seconds:.1f} s, "
                  f"zip {output['zip_bytes'] / 1e6:.1f} MB", flush=True)
        connection.close()
    print(f"ratio of peaks (1,000,000 / 10,000): {results[1] / results[0]:.2f}")


if __name__ == "__main__":
    main()
