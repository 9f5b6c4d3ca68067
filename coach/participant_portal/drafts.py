"""The answers of an unfinished check, kept on the server between its screens.

Health answers never stay on the phone (no hidden fields, no browser storage), so each
screen's answer is stored here, in one draft per session. A draft is bounded: it holds
only the questions of its check, each with one of its possible answers, at most
MAX_DRAFT_BYTES; it goes when its session ends (a foreign key with cascade), is not
shown to a later hand-over of the coach's phone (session_key), and is removed after
DRAFT_HOURS without an answer. Saving marks it saved and empties it in the transaction
that stores the assessments, so a Save sent twice stores one check.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.db import row_locked
from coach.participant_portal import flow as check_flow
from coach.participant_portal.tables import CheckDraft

DRAFT_HOURS = 24  # answers "over the last two weeks" given over more than a day are stale
MAX_DRAFT_BYTES = 4_000  # every shipped check together stores about 300


class NoDraft(Exception):
    """This session has no unfinished check (never began, removed, or from an older sign-in)."""


@dataclass(frozen=True)
class Owner:
    """Whose draft: one session, one cookie of it, one participant."""

    session_id: int
    session_key: str  # the sha256 of the session cookie
    participant_id: int


@dataclass
class Draft:
    id: int
    flow: check_flow.Flow
    saved: bool


def _stale_before() -> dt.datetime:
    return now() - dt.timedelta(hours=DRAFT_HOURS)


def _mine(owner: Owner):
    return (
        (CheckDraft.session == owner.session_id)
        & (CheckDraft.session_key == owner.session_key)
        & (CheckDraft.participant == owner.participant_id)
        & (CheckDraft.updated_at > _stale_before())
    )


def _as_draft(row: dict[str, Any]) -> Draft:
    ids = [name for name in row["instruments"].split(",") if name]
    answers = row["answers"]
    if isinstance(answers, str):  # SQLite hands JSON back as text
        answers = json.loads(answers)
    return Draft(row["id"], check_flow.restore(ids, answers), row["saved_at"] is not None)


def _encoded(flow: check_flow.Flow) -> str:
    text = json.dumps(flow.answers, sort_keys=True, separators=(",", ":"))
    if len(text.encode()) > MAX_DRAFT_BYTES:
        raise check_flow.FlowError("the answers are larger than a draft may be")
    return text


async def _load(owner: Owner, *, lock: bool = False) -> Draft | None:
    query = CheckDraft.select(
        CheckDraft.id, CheckDraft.instruments, CheckDraft.answers, CheckDraft.saved_at
    ).where(_mine(owner))
    if lock:
        # A second request of the same session waits here until the first has written.
        query = row_locked(query)
    row = await query.first()
    if row is None:
        return None
    try:
        return _as_draft(row)
    except check_flow.FlowError:
        # Written by an older version of an instrument file: it cannot be shown or saved.
        await CheckDraft.delete().where(CheckDraft.id == row["id"])
        return None


async def current(owner: Owner) -> Draft | None:
    """Return the session's draft, saved or not, if it is this participant's and recent."""
    return await _load(owner)


async def begin(owner: Owner, instrument_ids: list[str]) -> check_flow.Flow:
    """Start an empty check in place of the session's draft, if any."""
    flow = check_flow.new_flow(instrument_ids)
    # Drafts nobody came back to are removed here rather than by a timer.
    await CheckDraft.delete().where(CheckDraft.updated_at <= _stale_before())
    # One statement, so that two taps on "Start" at once leave one draft and no error.
    await CheckDraft.insert(CheckDraft(
        session=owner.session_id,
        participant=owner.participant_id,
        session_key=owner.session_key,
        instruments=",".join(flow.instrument_ids()),
        answers=_encoded(flow),
        saved_at=None,
        updated_at=now(),
    )).on_conflict(target=CheckDraft.session, action="DO UPDATE", values=[
        CheckDraft.participant, CheckDraft.session_key, CheckDraft.instruments,
        CheckDraft.answers, CheckDraft.saved_at, CheckDraft.updated_at,
    ])
    return flow


async def answer(owner: Owner, number: int, raw_value: Any) -> check_flow.Flow:
    """Store the answer to question `number` of the unsaved draft and return the check.

    NoDraft if there is none; FlowError for a question the check lacks or a value that is
    not one of its answers (nothing is stored then).
    """
    async with CheckDraft._meta.db.transaction():
        draft = await _load(owner, lock=True)
        if draft is None or draft.saved:
            raise NoDraft()
        draft.flow.choose(number, raw_value)
        await CheckDraft.update({
            CheckDraft.answers: _encoded(draft.flow), CheckDraft.updated_at: now(),
        }).where(CheckDraft.id == draft.id)
    return draft.flow


async def save(
    owner: Owner, store: Callable[[dict[str, dict[str, int]]], Awaitable[list[Assessment]]]
) -> tuple[Draft, list[Assessment]]:
    """Store a complete draft with `store` and mark it saved, in one transaction.

    Returns the draft and the new rows: none when it was saved already (a Save sent twice)
    or is not complete yet (the caller shows its first unanswered question). NoDraft if
    there is none. If `store` raises, the draft is kept as it was.
    """
    async with CheckDraft._meta.db.transaction():
        draft = await _load(owner, lock=True)
        if draft is None:
            raise NoDraft()
        if draft.saved or not draft.flow.complete:
            return draft, []
        rows = await store(draft.flow.answers)
        # The answers now live in the assessments; the draft only remembers it was saved.
        await CheckDraft.update({
            CheckDraft.answers: "{}", CheckDraft.saved_at: now(), CheckDraft.updated_at: now(),
        }).where(CheckDraft.id == draft.id)
    draft.saved = True
    return draft, rows


async def discard_of_participant(participant_id: int) -> None:
    """Remove every unfinished check of a participant (for example after withdrawal)."""
    await CheckDraft.delete().where(CheckDraft.participant == participant_id)


async def discard_of_session(session_id: int) -> None:
    """Remove a session's unfinished check (the coach's phone is given back)."""
    await CheckDraft.delete().where(CheckDraft.session == session_id)
