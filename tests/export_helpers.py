"""Helpers of the export tests: run an export into a folder and read it back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from coach.export.build import export_to_folder
from coach.export.kanon import QI_COLUMNS
from coach.export.writer import FORMATS

TODAY = dt.date(2026, 3, 18)
CSV_FILES = ("groups", "participants", "sessions", "attendance", "assessments", "answers",
             "status_history")


async def export(folder: Path, k: int = 5, fmt: str = "standard"):
    """Export the database into a folder; return the summary."""
    return await export_to_folder(folder, k, "standard", FORMATS[fmt])


def read_table(folder: Path, name: str, fmt: str = "standard") -> list[dict[str, str]]:
    encoding, delimiter = ("utf-8-sig", ";") if fmt == "excel-fi" else ("utf-8", ",")
    with (folder / f"{name}.csv").open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def read_zip_table(data: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(f"{name}.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def all_text(folder: Path) -> str:
    """Return every file of the package as one string."""
    return "\n".join(path.read_text(encoding="utf-8-sig") for path in sorted(folder.iterdir()))


def class_sizes(participants: list[dict[str, str]]) -> dict[tuple, int]:
    sizes: dict[tuple, int] = {}
    for row in participants:
        key = tuple(row[column] for column in QI_COLUMNS)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def ids_of(folder: Path) -> set[str]:
    """Return every pseudonymous id in the package."""
    found = set()
    for name in CSV_FILES:
        for row in read_table(folder, name):
            found.update(value for column, value in row.items()
                         if column.endswith("_id"))
    return found
