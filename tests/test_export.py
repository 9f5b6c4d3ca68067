"""The anonymised data package, exported from real demo data: what leaves the system."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter

import frictionless
import pytest

from coach.accounts.tables import User
from coach.assessments.tables import Assessment
from coach.audit.tables import AuditEvent
from coach.demo import create_demo
from coach.export import build
from coach.export.kanon import QI_COLUMNS, SUPPRESSED
from coach.export.pseudonyms import ID_PATTERN
from coach.export.writer import ExportInvalid
from coach.groups.tables import CoachingGroup
from coach.meetings.tables import Meeting
from coach.participants.tables import Participant
from tests.export_helpers import (
    CSV_FILES,
    TODAY,
    all_text,
    class_sizes,
    export,
    ids_of,
    read_table,
)
from tests.factories import make_group, make_participant


def months_between(later: dt.date, earlier: dt.date) -> int:
    """Whole months from `earlier` to `later`, counted by hand."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (later.day < earlier.day)


async def words_that_must_not_leave() -> set[str]:
    """Return every name, username, note, group name and exit reason in the database."""
    words = set()
    for row in await Participant.select(Participant.display_name, Participant.exit_reason):
        words.update(w for w in (row["display_name"], row["exit_reason"]) if w)
    for row in await User.select(User.username, User.display_name):
        words.update(w for w in (row["username"], row["display_name"]) if w)
    for row in await CoachingGroup.select(CoachingGroup.name):
        words.add(row["name"])
    for row in await Meeting.select(Meeting.private_note):
        if row["private_note"]:
            words.add(row["private_note"])
    return {word for word in words if len(word) >= 3}


async def test_demo_export_holds_no_name_note_free_text_date_or_database_id(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path)

    text = all_text(tmp_path)
    forbidden = await words_that_must_not_leave()
    assert len(forbidden) > 20
    assert not [word for word in forbidden if word in text]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no exact dates
    birth_years = {str(row["birth_year"]) for row in await Participant.select()}
    for name in CSV_FILES:
        for row in read_table(tmp_path, name):
            row.pop("instrument_version", None)  # WHO-5's version is "1998"
            assert not birth_years & set(row.values())
            # Ids are only ever pseudonyms, never a database id in any form.
            assert all(re.fullmatch(ID_PATTERN, value) for column, value in row.items()
                       if column.endswith("_id"))


async def test_every_id_is_a_pseudonym_and_two_exports_share_none(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path / "first")
    await export(tmp_path / "second")

    first, second = ids_of(tmp_path / "first"), ids_of(tmp_path / "second")
    assert len(first) > 500
    assert all(len(value) == 17 and value[0] in "PGSAH" for value in first)
    assert not first & second


async def test_months_are_whole_months_since_the_group_start(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path)

    starts = {row["id"]: row["starts_on"] for row in await CoachingGroup.select()}
    group_of = {row["id"]: row["group"] for row in await Participant.select()}
    expected = Counter(
        (row["instrument"], months_between(row["taken_on"], starts[group_of[row["participant"]]]),
         row["raw_score"])
        for row in await Assessment.select()
    )
    exported = Counter((row["instrument"], int(row["month"]), int(row["raw_score"]))
                       for row in read_table(tmp_path, "assessments"))
    assert exported == expected


async def test_quasi_identifiers_are_k_anonymous_on_the_demo_and_a_larger_set(tmp_path):
    await create_demo(seed=2, password="x", groups=16, participants=400, today=TODAY)
    for k in (5, 3):
        folder = tmp_path / f"k{k}"
        summary = await export(folder, k=k)
        participants = read_table(folder, "participants")
        assert len(participants) == 400
        assert min(class_sizes(participants).values()) >= k
        # With 400 people some detail survives.
        assert any(row["gender"] != SUPPRESSED for row in participants), summary.step
        # The entry at enrolment in the history is generalised the same way.
        shown = {row["participant_id"]: row for row in participants}
        for entry in read_table(folder, "status_history"):
            if entry["at_entry"] == "1":
                person = shown[entry["participant_id"]]
                assert entry["status"] == person["status_at_entry"]
                assert entry["status_category"] == person["status_at_entry_category"]


async def test_only_counted_participants_are_exported(tmp_path):
    group = await make_group()
    await make_participant(group, display_name="Kept")
    await make_participant(group, display_name="Never", consent=False)
    await make_participant(group, display_name="Gone", consent_withdrawn_on=group.starts_on)
    summary = await export(tmp_path)

    assert summary.rows["participants"] == 1
    assert len(read_table(tmp_path, "status_history")) == 1
    assert all(value == SUPPRESSED for value in
               (read_table(tmp_path, "participants")[0][c] for c in QI_COLUMNS))


@pytest.mark.parametrize("fmt", ["standard", "excel-fi"])
async def test_frictionless_accepts_the_package(tmp_path, fmt):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path, fmt=fmt)

    report = await asyncio.to_thread(frictionless.validate, tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type"])[:5]
    assert {task.name for task in report.tasks} == set(CSV_FILES)
    assert sum(task.stats["rows"] for task in report.tasks) > 2000


async def test_frictionless_catches_a_broken_file_so_its_checks_are_real(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path)
    path = tmp_path / "attendance.csv"
    lines = path.read_text().splitlines()
    path.write_text("\r\n".join([*lines, "S0000000000000000,P0000000000000000,1"]) + "\r\n")

    report = await asyncio.to_thread(frictionless.validate, tmp_path / "datapackage.json")
    assert not report.valid


async def test_excel_fi_files_have_a_byte_order_mark_semicolons_and_decimal_commas(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path, fmt="excel-fi")

    raw = (tmp_path / "assessments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfassessment_id;")
    scores = [row["score"] for row in read_table(tmp_path, "assessments", fmt="excel-fi")]
    assert all("," in score and "." not in score for score in scores)


async def test_no_cell_starts_like_a_formula(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    await export(tmp_path)
    for name in CSV_FILES:
        for row in read_table(tmp_path, name):
            for value in row.values():
                if value[:1] in ("=", "+", "-", "@"):
                    float(value)  # only numbers may


async def test_a_row_that_breaks_the_schema_stops_the_export_and_leaves_nothing(
        tmp_path, monkeypatch):
    await create_demo(seed=1, password="x", today=TODAY)
    original = build.source.assessments

    async def broken(max_participant):
        async for row in original(max_participant):
            row["band"] = "=cmd|' /C calc'!A0"
            yield row

    monkeypatch.setattr(build.source, "assessments", broken)
    with pytest.raises(ExportInvalid):
        await export(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []



async def test_coach_export_command_writes_the_same_files_and_audits(tmp_path):
    await create_demo(seed=1, password="x", today=TODAY)
    env = dict(os.environ, LANG="en_GB.UTF-8")
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "coach.cli", "export", "--out",
                         str(tmp_path / "cli"), "--excel-fi"],
        capture_output=True, text=True, env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "participants.csv: 14" in result.stdout
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == sorted(
        [f"{name}.csv" for name in CSV_FILES] + ["codebook.csv", "codebook.md",
                                                 "datapackage.json"])
    assert (tmp_path / "cli" / "participants.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    events = await AuditEvent.select().where(AuditEvent.action == "export.create").output(
        load_json=True)
    assert len(events) == 1 and events[0]["actor_label"] == "cli"
    assert events[0]["detail"]["rows"]["participants"] == 14
    assert "P" not in str(events[0]["detail"]["rows"])  # counts only, no ids
