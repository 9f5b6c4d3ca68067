"""Read what the export needs from the database in chunks (keyset pagination).

Every query is limited to the counted participants (coach.reports.population.COUNTED)
and to those read at the start (ids up to `max_participant`), so that someone
added while the export runs cannot appear in one file and not in another.
Nothing here reads a name, a note, free text or an exact date: dates become whole
months since the group's start in SQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from coach.reports.population import COUNTED, fetch, months_since, year_of

CHUNK = 5000


async def _chunks(sql: str, first_key: tuple, key_of, *args) -> AsyncIterator[dict]:
    """Yield the rows of a keyset-paginated query: `sql` takes *args, then the last key."""
    last = first_key
    while True:
        rows = await fetch(sql, *args, *last, CHUNK)
        for row in rows:
            yield row
        if len(rows) < CHUNK:
            return
        last = key_of(rows[-1])


def participants() -> AsyncIterator[dict]:
    """Yield the counted participants: group, the facts behind the quasi-identifiers, months."""
    sql = (
        'SELECT p.id, p."group" AS group_id, p.birth_year, p.gender, p.education,'  # noqa: S608 (fixed SQL pieces only)
        " p.status_at_entry, p.unemployed_for,"
        f" {year_of('p.enrolled_on')} AS enrolled_year,"
        f" {months_since('p.enrolled_on', 'g.starts_on')} AS enrolled_month,"
        " CASE WHEN p.exited_on IS NULL THEN NULL ELSE"
        f" {months_since('p.exited_on', 'g.starts_on')} END AS exited_month"
        ' FROM participant p JOIN coaching_group g ON g.id = p."group"'
        f" WHERE {COUNTED} AND p.id > {{}} ORDER BY p.id LIMIT {{}}"
    )
    return _chunks(sql, (0,), lambda row: (row["id"],))


def groups() -> AsyncIterator[dict]:
    """Yield every group's planned length in months and its schedule, without its name."""
    sql = (
        "SELECT g.id, g.assessment_interval_weeks, g.usual_duration_minutes,"  # noqa: S608 (fixed SQL pieces only)
        f" {months_since('g.ends_on', 'g.starts_on')} AS planned_months"
        " FROM coaching_group g WHERE g.id > {} ORDER BY g.id LIMIT {}"
    )
    return _chunks(sql, (0,), lambda row: (row["id"],))


def meetings() -> AsyncIterator[dict]:
    """Yield every meeting: group, month, length and themes (never the private note)."""
    sql = (
        'SELECT m.id, m."group" AS group_id, m.duration_minutes, m.themes,'  # noqa: S608 (fixed SQL pieces only)
        f" {months_since('m.held_on', 'g.starts_on')} AS month"
        ' FROM meeting m JOIN coaching_group g ON g.id = m."group"'
        " WHERE m.id > {} ORDER BY m.id LIMIT {}"
    )
    return _chunks(sql, (0,), lambda row: (row["id"],))


def attendance(max_participant: int, max_meeting: int) -> AsyncIterator[dict]:
    """Yield the counted participants' attendance, ordered by (meeting, participant)."""
    sql = (
        "SELECT a.meeting, a.participant, a.present FROM attendance a"  # noqa: S608 (fixed SQL pieces only)
        " JOIN participant p ON p.id = a.participant"
        f" WHERE {COUNTED} AND p.id <= {{}} AND a.meeting <= {{}}"
        " AND (a.meeting > {} OR (a.meeting = {} AND a.participant > {}))"
        " ORDER BY a.meeting, a.participant LIMIT {}"
    )

    async def rows() -> AsyncIterator[dict]:
        last = (0, 0)
        while True:
            chunk = await fetch(sql, max_participant, max_meeting, last[0], last[0], last[1],
                                CHUNK)
            for row in chunk:
                yield row
            if len(chunk) < CHUNK:
                return
            last = (chunk[-1]["meeting"], chunk[-1]["participant"])

    return rows()


def assessments(max_participant: int) -> AsyncIterator[dict]:
    """Yield the counted participants' assessments with their answers decoded."""
    sql = (
        "SELECT a.id, a.participant, a.instrument, a.instrument_version, a.answers,"  # noqa: S608 (fixed SQL pieces only)
        " a.raw_score, a.score, a.band, a.mode,"
        f" {months_since('a.taken_on', 'g.starts_on')} AS month"
        " FROM assessment a JOIN participant p ON p.id = a.participant"
        ' JOIN coaching_group g ON g.id = p."group"'
        f" WHERE {COUNTED} AND p.id <= {{}} AND a.id > {{}} ORDER BY a.id LIMIT {{}}"
    )

    async def rows() -> AsyncIterator[dict]:
        async for row in _chunks(sql, (0,), lambda r: (r["id"],), max_participant):
            if isinstance(row["answers"], str):
                row["answers"] = json.loads(row["answers"])
            yield row

    return rows()


def status_history(max_participant: int) -> AsyncIterator[dict]:
    """Yield the counted participants' status entries; at_entry marks each one's first."""
    sql = (
        "SELECT s.id, s.participant, s.status,"  # noqa: S608 (fixed SQL pieces only)
        f" {months_since('s.effective_on', 'g.starts_on')} AS month,"
        " CASE WHEN s.id = (SELECT f.id FROM labour_status f WHERE f.participant ="
        " s.participant ORDER BY f.effective_on, f.id LIMIT 1) THEN 1 ELSE 0 END AS at_entry"
        " FROM labour_status s JOIN participant p ON p.id = s.participant"
        ' JOIN coaching_group g ON g.id = p."group"'
        f" WHERE {COUNTED} AND p.id <= {{}} AND s.id > {{}} ORDER BY s.id LIMIT {{}}"
    )
    return _chunks(sql, (0,), lambda row: (row["id"],), max_participant)
