"""Write the anonymised data package into a folder, then optionally zip it.

Rows stream from the database in chunks into CSV files on disk, each row checked
against the schema on the way; memory holds the participants' and meetings' ids
(for the foreign-key checks), never the assessments, answers or attendance.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coach.choices import FUNDER_CATEGORY, LabourStatus, Theme
from coach.export import source
from coach.export.kanon import Outcome, anonymise, quasi_identifiers
from coach.export.package import write_codebook, write_datapackage
from coach.export.pseudonyms import Pseudonyms
from coach.export.schema import TableSchema, tables
from coach.export.writer import CsvFormat, TableWriter


@dataclass
class Summary:
    """What an export holds: counts only, fit for the audit log."""

    k: int
    policy: str
    format: str
    rows: dict[str, int] = field(default_factory=dict)
    step: str = ""
    locally_suppressed: int = 0

    def audit_detail(self) -> dict:
        return {"k": self.k, "policy": self.policy, "format": self.format, "rows": self.rows,
                "generalisation": self.step, "locally_suppressed": self.locally_suppressed}


@dataclass
class _Run:
    directory: Path
    fmt: CsvFormat
    schemas: dict[str, TableSchema]
    ids: Pseudonyms = field(default_factory=Pseudonyms)
    keys: dict[str, set[str]] = field(default_factory=dict)

    @contextmanager
    def table(self, name: str, unique_in_memory: bool = True,
              references: dict | None = None) -> Iterator[TableWriter]:
        writer = TableWriter(self.schemas[name], self.directory / self.schemas[name].path,
                             self.fmt, references if references is not None else self.keys,
                             unique_in_memory)
        try:
            yield writer
        finally:
            writer.close()


async def write_package(directory: Path, k: int, policy: str, fmt: CsvFormat) -> Summary:
    """Write every file of the package into an empty folder; raise ExportInvalid on a bad row."""
    run = _Run(directory, fmt, {schema.name: schema for schema in tables()})
    people = [row async for row in source.participants()]
    outcome = anonymise([_facts(person) for person in people], k)
    summary = Summary(k, policy, fmt.name, step=outcome.step_name,
                      locally_suppressed=outcome.locally_suppressed)
    group_ids = {person["group_id"] for person in people}
    summary.rows["groups"] = await _groups(run, group_ids)
    summary.rows["participants"] = _participants(run, people, outcome)
    max_meeting = await _sessions(run, group_ids, summary)
    max_participant = max((person["id"] for person in people), default=0)
    summary.rows["attendance"] = await _attendance(run, max_participant, max_meeting)
    await _assessments(run, max_participant, summary)
    at_entry = {person["id"]: row for person, row in zip(people, outcome.rows, strict=True)}
    summary.rows["status_history"] = await _status_history(run, max_participant, at_entry)
    write_codebook(directory, run.schemas.values(), summary)
    write_datapackage(directory, run.schemas.values(), fmt, summary)
    return summary


def _facts(person: dict) -> dict:
    return quasi_identifiers(person["gender"], person["enrolled_year"] - person["birth_year"],
                             person["education"], person["status_at_entry"],
                             person["unemployed_for"])


async def _groups(run: _Run, group_ids: set[int]) -> int:
    run.keys["groups"] = set()
    with run.table("groups") as out:
        async for group in source.groups():
            if group["id"] not in group_ids:
                continue
            key = run.ids.of("group", group["id"])
            out.write({"group_id": key, "planned_months": group["planned_months"],
                       "assessment_interval_weeks": group["assessment_interval_weeks"],
                       "usual_session_minutes": group["usual_duration_minutes"]})
            run.keys["groups"].add(key)
        return out.rows


def _participants(run: _Run, people: list[dict], outcome: Outcome) -> int:
    run.keys["participants"] = set()
    with run.table("participants") as out:
        for person, shown in zip(people, outcome.rows, strict=True):
            key = run.ids.of("participant", person["id"])
            out.write({"participant_id": key, "group_id": run.ids.of("group", person["group_id"]),
                       **shown, "enrolled_month": person["enrolled_month"],
                       "exited_month": person["exited_month"]})
            run.keys["participants"].add(key)
        return out.rows


async def _sessions(run: _Run, group_ids: set[int], summary: Summary) -> int:
    """Write the meetings of the exported groups; return the largest meeting id read."""
    run.keys["sessions"] = set()
    max_meeting = 0
    with run.table("sessions") as out:
        async for meeting in source.meetings():
            max_meeting = max(max_meeting, meeting["id"])
            if meeting["group_id"] not in group_ids:
                continue
            themes = set(_json_list(meeting["themes"]))
            key = run.ids.of("session", meeting["id"])
            out.write({"session_id": key, "group_id": run.ids.of("group", meeting["group_id"]),
                       "month": meeting["month"], "duration_minutes": meeting["duration_minutes"],
                       **{f"theme_{theme.value}": theme.value in themes for theme in Theme}})
            run.keys["sessions"].add(key)
        summary.rows["sessions"] = out.rows
    return max_meeting


def _json_list(value) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


async def _attendance(run: _Run, max_participant: int, max_meeting: int) -> int:
    with run.table("attendance", unique_in_memory=False) as out:
        async for row in source.attendance(max_participant, max_meeting):
            out.write({"session_id": run.ids.of("session", row["meeting"]),
                       "participant_id": run.ids.of("participant", row["participant"]),
                       "present": bool(row["present"])},
                      source_key=(row["meeting"], row["participant"]))
        return out.rows


async def _assessments(run: _Run, max_participant: int, summary: Summary) -> None:
    """Write assessments and their answers in one pass; answers refer to the row just written."""
    current: set[str] = set()  # the one assessment the next answers belong to
    with (run.table("assessments", unique_in_memory=False) as scores,
          run.table("answers", unique_in_memory=False,
                    references={"assessments": current}) as answers):
        async for row in source.assessments(max_participant):
            key = run.ids.of("assessment", row["id"])
            scores.write({"assessment_id": key,
                          "participant_id": run.ids.of("participant", row["participant"]),
                          "instrument": row["instrument"],
                          "instrument_version": row["instrument_version"],
                          "month": row["month"], "raw_score": row["raw_score"],
                          "score": float(row["score"]), "band": row["band"],
                          "mode": row["mode"]}, source_key=(row["id"],))
            current.clear()
            current.add(key)
            for item in sorted(row["answers"]):
                answers.write({"assessment_id": key, "item": item,
                               "value": row["answers"][item]}, source_key=(row["id"], item))
        summary.rows["assessments"], summary.rows["answers"] = scores.rows, answers.rows


async def _status_history(run: _Run, max_participant: int, at_entry: dict[int, dict]) -> int:
    """Write status entries; the entry at enrolment is generalised like the status at entry."""
    with run.table("status_history", unique_in_memory=False) as out:
        async for row in source.status_history(max_participant):
            first = bool(row["at_entry"])
            if first:
                shown = at_entry[row["participant"]]
                status = shown["status_at_entry"]
                category = shown["status_at_entry_category"]
            else:
                status = row["status"]
                category = FUNDER_CATEGORY[LabourStatus(status)].value
            out.write({"entry_id": run.ids.of("status", row["id"]),
                       "participant_id": run.ids.of("participant", row["participant"]),
                       "month": row["month"], "status": status, "status_category": category,
                       "at_entry": first}, source_key=(row["id"],))
        return out.rows


# --- Where the files go ------------------------------------------------------------------

@contextmanager
def scratch_folder(parent: Path | None = None) -> Iterator[Path]:
    """Yield a new private folder that is removed afterwards, whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="coach-export-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def zip_folder(folder: Path, target: Path) -> None:
    """Zip every file of a folder (compressed, read in chunks by zipfile)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=path.name)


async def export_to_folder(out: Path, k: int, policy: str, fmt: CsvFormat) -> Summary:
    """Write the package into `out`; on any error nothing is left there."""
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the export)
    with scratch_folder(out) as scratch:
        summary = await write_package(scratch, k, policy, fmt)
        for path in sorted(scratch.iterdir()):
            path.replace(out / path.name)
    return summary
