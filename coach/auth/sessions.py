"""Server-side sessions: the cookie holds a random id, the database only its sha256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from litestar.datastructures import Cookie

from coach.audit.log import now
from coach.auth.tables import WebSession
from coach.settings import Settings

SESSION_COOKIE = "coach_session"
# Refreshing last_seen_at on every request would turn every page view into a write.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_session(
    settings: Settings,
    *,
    user_id: int | None = None,
    participant_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """Store a new session and return (the cookie value, the session's id)."""
    raw = new_token()
    moment = now()
    row = WebSession(
        token_hash=hash_token(raw),
        user=user_id,
        participant=participant_id,
        data=json.dumps(data or {}),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + dt.timedelta(days=settings.session_absolute_days),
    )
    await row.save()
    return raw, row.id


# The session with what the actor needs of its user or participant, in one statement.
# Written out rather than built with Piccolo's joins: building that query took most of the
# time of a signed-in request (the statement itself takes microseconds). The tables are
# WebSession, User ("app_user"), Participant and CoachingGroup; a test compares the row
# with Piccolo's select.
SESSION_SQL = (
    'SELECT s.id AS "id", s."user" AS "user", s.participant AS "participant", '
    's.data AS "data", s.last_seen_at AS "last_seen_at", s.expires_at AS "expires_at", '
    'u.username AS "user.username", u.display_name AS "user.display_name", '
    'u.role AS "user.role", u.is_active AS "user.is_active", '
    'u.language AS "user.language", u.must_change_password AS "user.must_change_password", '
    'p.display_name AS "participant.display_name", '
    'p.erased_at AS "participant.erased_at", g.closed_at AS "participant.group.closed_at" '
    'FROM web_session s LEFT JOIN app_user u ON u.id = s."user" '
    "LEFT JOIN participant p ON p.id = s.participant "
    'LEFT JOIN coaching_group g ON g.id = p."group" '
    "WHERE s.token_hash = {}"
)
_BOOLEANS = ("user.is_active", "user.must_change_password")


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """Give the raw row the types Piccolo's select would have given it."""
    if isinstance(row["data"], str):
        row["data"] = json.loads(row["data"])
    for name in _BOOLEANS:  # SQLite gives 0/1
        if row[name] is not None:
            row[name] = bool(row[name])
    return row


async def find_session(settings: Settings, raw: str) -> dict[str, Any] | None:
    """Return the live session row for a cookie value; expired ones are deleted.

    The row carries what the actor needs of its user or participant ("user.role",
    "participant.group.closed_at", ...), so a request costs one query, not three.
    """
    if not raw or len(raw) > 200:
        return None
    rows = await WebSession.raw(SESSION_SQL, hash_token(raw))
    if not rows:
        return None
    row = _typed(rows[0])
    moment = now()
    idle_limit = row["last_seen_at"] + dt.timedelta(minutes=settings.session_idle_minutes)
    if row["expires_at"] <= moment or idle_limit <= moment:
        await end_session_by_id(row["id"])
        return None
    if moment - row["last_seen_at"] >= TOUCH_INTERVAL:
        await WebSession.update({WebSession.last_seen_at: moment}).where(
            WebSession.id == row["id"]
        )
    if not isinstance(row["data"], dict):
        row["data"] = {}
    return row


async def set_session_data(session_id: int, data: dict[str, Any]) -> None:
    await WebSession.update({WebSession.data: json.dumps(data)}).where(
        WebSession.id == session_id
    )


async def rotate_session(settings: Settings, session_id: int) -> str:
    """Give a session a new id (cookie value) and return it; the old value stops working."""
    raw = new_token()
    await WebSession.update({WebSession.token_hash: hash_token(raw)}).where(
        WebSession.id == session_id
    )
    return raw


async def end_session(raw: str) -> None:
    await WebSession.delete().where(WebSession.token_hash == hash_token(raw))


async def end_session_by_id(session_id: int) -> None:
    await WebSession.delete().where(WebSession.id == session_id)


async def end_user_sessions(user_id: int) -> None:
    """End every session of a staff user, including "fill in together" ones."""
    await WebSession.delete().where(WebSession.user == user_id)


async def end_participant_sessions(participant_id: int) -> None:
    """End every session opened with an invite of this participant."""
    await WebSession.delete().where(WebSession.participant == participant_id)


async def end_participant_sessions_of_group(group_id: int) -> None:
    """End every invite session of a group's participants."""
    await WebSession.delete().where(WebSession.participant.group == group_id)


async def end_expired_sessions(settings: Settings) -> None:
    """Delete sessions past their absolute lifetime or idle for too long."""
    moment = now()
    idle_since = moment - dt.timedelta(minutes=settings.session_idle_minutes)
    await WebSession.delete().where(
        (WebSession.expires_at <= moment) | (WebSession.last_seen_at <= idle_since)
    )


def session_cookie(settings: Settings, raw: str) -> Cookie:
    # The server enforces the lifetimes; max_age only keeps a participant's phone signed in
    # across browser restarts.
    return Cookie(
        key=SESSION_COOKIE,
        value=raw,
        path="/",
        max_age=settings.session_absolute_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.production,
    )


def clear_session_cookie(settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path="/",
        max_age=0,
        httponly=True,
        samesite="lax",
        secure=settings.production,
    )
