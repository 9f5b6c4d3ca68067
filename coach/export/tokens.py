"""API tokens for fetching exports from scripts: shown once, stored as sha256, revocable."""

from __future__ import annotations

import hashlib
import secrets

from coach.audit.log import now
from coach.auth.actor import Actor
from coach.auth.tables import ApiToken

TOKEN_ROLES = ("evaluator", "admin")
LABEL_LENGTH = 60
TOKEN_PREFIX = "coach_"  # noqa: S105 (a prefix, not a secret): tells a leaked token apart in logs and secret scanners


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_token(user_id: int, label: str) -> tuple[str, int]:
    """Store a new token for a user; return (the token, shown only now, and its row id)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user_id, token_hash=hash_token(raw), label=label[:LABEL_LENGTH],
                   created_at=now())
    await row.save()
    return raw, row.id


async def list_tokens(actor: Actor) -> list[dict]:
    """Return the tokens an actor may see: their own, or every one for an admin."""
    query = ApiToken.select(
        ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at,
        ApiToken.revoked_at, ApiToken.user.username,
    ).order_by(ApiToken.created_at, ascending=False)
    if actor.role != "admin":
        query = query.where(ApiToken.user == actor.user_id)
    return await query


async def revoke_token(actor: Actor, token_id: int) -> dict | None:
    """Revoke a token the actor may manage; return it, or None if there is no such token."""
    query = ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.revoked_at).where(
        ApiToken.id == token_id)
    if actor.role != "admin":
        query = query.where(ApiToken.user == actor.user_id)
    row = await query.first()
    if row is None:
        return None
    if row["revoked_at"] is None:
        await ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id)
    return row


async def actor_for_token(raw: str) -> tuple[Actor | None, str]:
    """Return the actor of a bearer token, or None and the reason it is refused."""
    if not raw or len(raw) > 200:
        return None, "invalid token"
    row = await ApiToken.select(
        ApiToken.id, ApiToken.revoked_at, ApiToken.user.id, ApiToken.user.username,
        ApiToken.user.display_name, ApiToken.user.role, ApiToken.user.is_active,
        ApiToken.user.language,
    ).where(ApiToken.token_hash == hash_token(raw)).first()
    if row is None:
        return None, "invalid token"
    if row["revoked_at"] is not None:
        return None, "token revoked"
    if not row["user.is_active"] or row["user.role"] not in TOKEN_ROLES:
        return None, "token owner may not export"
    await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == row["id"])
    return Actor(role=row["user.role"], user_id=row["user.id"], participant_id=None,
                 username=row["user.username"],
                 label=row["user.display_name"] or row["user.username"],
                 language=row["user.language"], session_id=0), ""


