"""Personal links for participants: one at a time, stored as a hash, used again and again.

A participant answers over a year and a half, often on their own phone, so their link
works until the six-month follow-up is over (counted from the day they leave, or the
group's end), to the day the assessment schedule counts its check. It stops at once when
the coach cancels it or makes a new one, and when consent is withdrawn, the person is
erased or the group closed. Only the link's hash is stored: the link is shown once, when
it is made; a lost link is replaced by a new one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import segno

from coach.assessments.schedule import last_day_to_answer
from coach.audit.log import now
from coach.auth.sessions import (
    create_session,
    end_participant_sessions,
    end_participant_sessions_of_group,
    hash_token,
)
from coach.auth.tables import Invite
from coach.db import lock_key
from coach.forms import LOCAL_ZONE, local_date, today
from coach.i18n import gettext as _
from coach.participants.tables import Participant
from coach.settings import Settings

TOKEN_BYTES = 32  # 43 characters in the URL
# PostgreSQL advisory locks with two keys: this first key keeps ours apart from others.
LOCK_NAMESPACE = 0x6C696E6B  # "link"


class InviteRefused(ValueError):
    """No link can be made or used for this participant; the message says why, for the user."""


class _Unusable(Exception):
    """Raised inside a transaction to undo a link's use."""


def last_day_of_link(person: dict[str, Any]) -> dt.date:
    """Return the last day a personal link works: the last day a check of the person counts.

    The assessment schedule decides it (its follow-up point and window), so the link works
    exactly as long as a check can be due or late. person: a row of _person.
    """
    return last_day_to_answer(person["group.starts_on"], person["group.ends_on"],
                              person["enrolled_on"], person["exited_on"])


def refusal(person: dict[str, Any], day: dt.date) -> str | None:
    """Return why the participant may have no link on that day, or None if they may."""
    if person["erased_at"] is not None:
        return _("This participant no longer has data in the service.")
    if person["consent_withdrawn_on"] is not None:
        return _("This participant has withdrawn consent.")
    if person["group.closed_at"] is not None:
        return _("The group has been closed.")
    if day > last_day_of_link(person):
        return _("The six-month follow-up of this participant is over.")
    return None


async def _person(participant_id: int) -> dict[str, Any] | None:
    return await Participant.select(
        Participant.erased_at, Participant.consent_withdrawn_on, Participant.enrolled_on,
        Participant.exited_on, Participant.group.closed_at, Participant.group.starts_on,
        Participant.group.ends_on,
    ).where(Participant.id == participant_id).first()


async def check_can_invite(participant_id: int) -> dt.date:
    """Return the last day a new link would work; raise InviteRefused if none may be made."""
    person = await _person(participant_id)
    if person is None:
        raise InviteRefused(_("This participant no longer has data in the service."))
    reason = refusal(person, today())
    if reason:
        raise InviteRefused(reason)
    return last_day_of_link(person)


def _end_of(day: dt.date) -> dt.datetime:
    """Return the moment a day ends in Finland."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_ZONE)


async def _lock_participant(participant_id: int) -> None:
    """Make changes to one participant's links wait for each other until the transaction ends."""
    await lock_key(Invite, LOCK_NAMESPACE, participant_id)


async def _revoke_open(participant_id: int) -> None:
    await Invite.update({Invite.revoked_at: now()}).where(
        (Invite.participant == participant_id) & Invite.revoked_at.is_null()
    )


async def create_invite(participant_id: int, created_by: int | None) -> str:
    """Make the participant's personal link and return it; any older link stops working.

    Only the token's hash is stored. The older links are revoked in the same transaction,
    so two coaches pressing at once still leave one working link.
    """
    async with Invite._meta.db.transaction():
        await _lock_participant(participant_id)
        last_day = await check_can_invite(participant_id)
        await _revoke_open(participant_id)
        raw = secrets.token_urlsafe(TOKEN_BYTES)
        await Invite(
            participant=participant_id,
            token_hash=hash_token(raw),
            created_by=created_by,
            created_at=now(),
            expires_at=_end_of(last_day),
        ).save()
    return raw


def _still_open():
    """The condition of a link that could still work: not revoked, not past its last day."""
    return Invite.revoked_at.is_null() & (Invite.expires_at > now())


def _usable(token: str):
    return (Invite.token_hash == hash_token(token)) & _still_open()


def plausible(token: str) -> bool:
    """Say whether a string could be a token at all (so junk never reaches the database)."""
    return 20 <= len(token) <= 100 and all(c.isalnum() or c in "-_" for c in token)


async def find_usable(token: str) -> int | None:
    """Return the participant id of a usable link, without using it."""
    if not plausible(token):
        return None
    row = await Invite.select(Invite.participant).where(_usable(token)).first()
    if row is None:
        return None
    person = await _person(row["participant"])
    if person is None or refusal(person, today()):
        return None
    return row["participant"]


async def _use(token: str) -> int:
    """Mark a link used and return its participant id; raise _Unusable if it cannot be used.

    The conditional UPDATE locks the link's row until the transaction ends: a cancel or
    renewal at the same moment waits for it, and then also ends the session it made.
    """
    if not plausible(token):
        raise _Unusable
    rows = await Invite.update({Invite.used_at: now()}).where(_usable(token)).returning(
        Invite.participant
    )
    if not rows:
        raise _Unusable
    participant_id = rows[0]["participant"]
    person = await _person(participant_id)
    if person is None or refusal(person, today()):
        raise _Unusable
    return participant_id


async def sign_in_with_link(settings: Settings, token: str) -> tuple[int, str] | None:
    """Use a link and start the participant's session in one transaction.

    Return (participant id, session cookie value), or None if the link cannot be used.
    """
    try:
        async with Invite._meta.db.transaction():
            participant_id = await _use(token)
            raw, _session_id = await create_session(settings, participant_id=participant_id)
    except _Unusable:
        return None
    return participant_id, raw


async def current_link(participant_id: int) -> dict[str, Any] | None:
    """Return the participant's working link (created_at, used_at, expires_at), if any."""
    return await Invite.select(Invite.created_at, Invite.used_at, Invite.expires_at).where(
        (Invite.participant == participant_id) & _still_open()
    ).order_by(Invite.created_at, ascending=False).first()


async def count_open_invites(participant_id: int) -> int:
    """Return how many of the participant's links could still be used."""
    return await Invite.count().where((Invite.participant == participant_id) & _still_open())


async def revoke_invites(participant_id: int) -> None:
    """Revoke the participant's links and end their sessions at once, together."""
    async with Invite._meta.db.transaction():
        await _lock_participant(participant_id)
        await _revoke_open(participant_id)
        await end_participant_sessions(participant_id)


async def end_group_access(group_id: int) -> None:
    """Revoke every link and participant session of a group (when it is closed)."""
    async with Invite._meta.db.transaction():
        await Invite.update({Invite.revoked_at: now()}).where(
            (Invite.participant.group == group_id) & Invite.revoked_at.is_null()
        )
        await end_participant_sessions_of_group(group_id)


def last_day(expires_at: dt.datetime) -> dt.date:
    """Return the last day a link works, from the moment it stops."""
    # The moment is the first one that no longer works: the day before, if it is midnight.
    return local_date(expires_at - dt.timedelta(microseconds=1))


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/i/{token}"


def qr_svg(url: str) -> str:
    """Return the URL as a QR code in an inline <svg> element (no external image)."""
    return segno.make(url, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=_("QR code of the invite link")
    )
