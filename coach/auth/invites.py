"""Personal invite links for participants: random, stored as a hash, usable once."""

from __future__ import annotations

import datetime as dt
import secrets

import segno

from coach.audit.log import now
from coach.auth.sessions import (
    end_participant_sessions,
    end_participant_sessions_of_group,
    hash_token,
)
from coach.auth.tables import Invite
from coach.i18n import gettext as _
from coach.participants.tables import Participant

TOKEN_BYTES = 32  # 43 characters in the URL
DEFAULT_VALID_DAYS = 14


class InviteRefused(ValueError):
    """No invite can be made for this participant; the message says why, for the user."""


async def _check_can_invite(participant_id: int) -> None:
    row = await Participant.select(
        Participant.erased_at, Participant.consent_withdrawn_on, Participant.group.closed_at
    ).where(Participant.id == participant_id).first()
    if row is None or row["erased_at"] is not None:
        raise InviteRefused(_("This participant no longer has data in the service."))
    if row["consent_withdrawn_on"] is not None:
        raise InviteRefused(_("This participant has withdrawn consent."))
    if row["group.closed_at"] is not None:
        raise InviteRefused(_("The group has been closed."))


async def create_invite(
    participant_id: int, created_by: int | None, valid_days: int = DEFAULT_VALID_DAYS
) -> str:
    """Create an invite and return its token; only the token's hash is stored."""
    await _check_can_invite(participant_id)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    moment = now()
    await Invite(
        participant=participant_id,
        token_hash=hash_token(raw),
        created_by=created_by,
        created_at=moment,
        expires_at=moment + dt.timedelta(days=valid_days),
    ).save()
    return raw


def _still_open():
    """The condition of an invite that could still be used: not used, revoked or expired."""
    return Invite.used_at.is_null() & Invite.revoked_at.is_null() & (Invite.expires_at > now())


def _usable(token: str):
    return (Invite.token_hash == hash_token(token)) & _still_open()


def plausible(token: str) -> bool:
    """Say whether a string could be a token at all (so junk never reaches the database)."""
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


async def find_usable(token: str) -> int | None:
    """Return the participant id of a usable invite, without using it."""
    if not plausible(token):
        return None
    row = await Invite.select(Invite.participant).where(_usable(token)).first()
    return row["participant"] if row else None


async def use_invite(token: str) -> int | None:
    """Mark an invite used and return its participant id; None if it cannot be used.

    A single conditional UPDATE, so two devices opening the link at once cannot both win.
    """
    if not plausible(token):
        return None
    rows = await Invite.update({Invite.used_at: now()}).where(_usable(token)).returning(
        Invite.participant
    )
    if not rows:
        return None
    participant_id = rows[0]["participant"]
    try:
        await _check_can_invite(participant_id)
    except InviteRefused:
        return None
    return participant_id


async def count_open_invites(participant_id: int) -> int:
    """Return how many of the participant's links could still be used."""
    return await Invite.count().where((Invite.participant == participant_id) & _still_open())


async def revoke_invites(participant_id: int) -> None:
    """Revoke the participant's unused invites and end their sessions at once."""
    await Invite.update({Invite.revoked_at: now()}).where(
        (Invite.participant == participant_id)
        & Invite.used_at.is_null()
        & Invite.revoked_at.is_null()
    )
    await end_participant_sessions(participant_id)


async def end_group_access(group_id: int) -> None:
    """Revoke every invite and participant session of a group (when it is closed)."""
    await Invite.update({Invite.revoked_at: now()}).where(
        (Invite.participant.group == group_id)
        & Invite.used_at.is_null()
        & Invite.revoked_at.is_null()
    )
    await end_participant_sessions_of_group(group_id)


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/i/{token}"


def qr_svg(url: str) -> str:
    """Return the URL as a QR code in an inline <svg> element (no external image)."""
    return segno.make(url, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=_("QR code of the invite link")
    )

