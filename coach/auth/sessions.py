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


async def find_session(settings: Settings, raw: str) -> dict[str, Any] | None:
    """Return the live session row for a cookie value; expired ones are deleted.

    The row carries what the actor needs of its user or participant ("user.role",
    "participant.group.closed_at", ...), so a request costs one query, not three.
    """
    if not raw or len(raw) > 200:
        return None
    user, participant = WebSession.user, WebSession.participant
    row = await WebSession.select(
        WebSession.id,
        WebSession.user,
        WebSession.participant,
        WebSession.data,
        WebSession.last_seen_at,
        WebSession.expires_at,
        user.username, user.display_name, user.role, user.is_active, user.language,
        user.must_change_password,
        participant.display_name, participant.erased_at, participant.group.closed_at,
    ).where(WebSession.token_hash == hash_token(raw)).output(load_json=True).first()
    if row is None:
        return None
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
