"""The audit log as CSV for an admin: the page's filters, streamed in batches.

The file keeps the action codes (for scripts) beside the words (for people). It is
written a batch of rows at a time, so memory does not grow with the log, and it stops at
the newest event that existed when the download began, so it is one consistent cut.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from coach.accounts.tables import User
from coach.audit.labels import action_in_words
from coach.audit.tables import AuditEvent
from coach.export.writer import guard_formula

# More rows than a year of a large project logs; beyond it the admin narrows the dates.
MAX_EXPORT_ROWS = 500_000
BATCH_ROWS = 1_000
COLUMNS = ("time_utc", "user", "role", "action", "action_in_words", "target_type",
           "target_id", "detail", "ip")


async def newest_id() -> int:
    """Return the id of the newest event, or 0 for an empty log."""
    row = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id, ascending=False).first()
    return row["id"] if row else 0


def _up_to(where, last_id: int):
    condition = AuditEvent.id <= last_id
    return condition if where is None else where & condition


async def count_events(where, last_id: int) -> int:
    """Return how many events the export would hold."""
    return await AuditEvent.count().where(_up_to(where, last_id))


def role_of(row: dict[str, Any], roles: dict[int, str]) -> str:
    """Return the actor's role: a staff role, "participant", or "" (anonymous, command line)."""
    if row["actor_user_id"] is not None:
        return roles.get(row["actor_user_id"], "")
    return "participant" if row["actor_label"].startswith("participant:") else ""


def csv_row(row: dict[str, Any], roles: dict[int, str], labels: dict[str, str]) -> list[str]:
    """Return one event as CSV cells; text a spreadsheet would run as a formula is defused."""
    detail = row["detail"] if isinstance(row["detail"], dict) else {}
    cells = [
        _utc(row["occurred_at"]),
        row["actor_label"],
        role_of(row, roles),
        row["action"],
        action_in_words(row["action"], labels),
        row["target_type"],
        "" if row["target_id"] is None else str(row["target_id"]),
        json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        row["ip"],
    ]
    return [guard_formula(cell) for cell in cells]


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _add_roles(rows: list[dict[str, Any]], roles: dict[int, str]) -> None:
    wanted = {row["actor_user_id"] for row in rows
              if row["actor_user_id"] is not None and row["actor_user_id"] not in roles}
    if wanted:
        for user in await User.select(User.id, User.role).where(User.id.is_in(list(wanted))):
            roles[user["id"]] = user["role"]


def _lines(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


async def csv_chunks(where, last_id: int, labels: dict[str, str]) -> AsyncIterator[bytes]:
    """Yield the CSV file, oldest event first, one batch of rows at a time."""
    yield _lines([list(COLUMNS)])
    roles: dict[int, str] = {}
    after = 0
    while True:
        rows = await (AuditEvent.select()
                      .where(_up_to(where, last_id) & (AuditEvent.id > after))
                      .order_by(AuditEvent.id).limit(BATCH_ROWS).output(load_json=True))
        if not rows:
            return
        await _add_roles(rows, roles)
        yield _lines([csv_row(row, roles, labels) for row in rows])
        if len(rows) < BATCH_ROWS:
            return
        after = rows[-1]["id"]
