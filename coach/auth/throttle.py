"""Attempt counters in the database, shared by every worker.

An attempt is counted *before* its password (or link) is checked: `reserve` adds a row
for each of its keys only while every key is below its limit, in one locked write
transaction. Guesses sent all at once therefore queue up behind each other, and no more
than the limit of them ever reach the password check. A correct attempt gives its rows
back (`release`), so signing in does not use the limit up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from coach.audit.log import now
from coach.auth.tables import ThrottleEvent
from coach.db import lock_key

WINDOW = dt.timedelta(minutes=15)
USERNAME_LIMIT = 5
DEVICE_LIMIT = 5
IP_LIMIT = 20
INVITE_IP_LIMIT = 20
TOGETHER_LIMIT = 5
KEY_LENGTH = 120  # the column's length
# PostgreSQL advisory locks with two keys: this first key keeps ours apart from any others.
LOCK_NAMESPACE = 0x7468726F  # "thro"


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int


@dataclass(frozen=True)
class Reservation:
    """The counted rows of an allowed attempt, or how long to wait when it was refused."""

    event_ids: tuple[int, ...] = ()
    retry_after: int = 0  # > 0: refused, try again after this many seconds

    @property
    def refused(self) -> bool:
        return self.retry_after > 0


def login_limits(username: str, ip: str) -> list[Limit]:
    """Return the counters a sign-in attempt from an unknown device is checked against."""
    limits = [Limit(f"ip:{ip}", IP_LIMIT)]
    name = username.strip().lower()[:100]
    if name:
        limits.insert(0, Limit(f"user:{name}", USERNAME_LIMIT))
    return limits


def device_limits(device_key: str) -> list[Limit]:
    """Return the counter of a known device (see coach.auth.devices).

    Only this counter: a stranger's failures against the username or from the same
    address must not lock out the device its user signed in on before. The device's own
    wrong guesses are still limited, and only a correct password ever makes a device known.
    """
    return [Limit(f"device:{device_key}", DEVICE_LIMIT)]


def invite_limits(ip: str) -> list[Limit]:
    """Return the counters a bad invite link is checked against."""
    return [Limit(f"invite-ip:{ip}", INVITE_IP_LIMIT)]


def together_limits(session_id: int) -> list[Limit]:
    """Return the counter of a "fill in together" hand-over (one session).

    Not the username's: a participant guessing on the coach's phone must not lock the
    coach out of signing in. When this runs out, the session ends.
    """
    return [Limit(f"together:{session_id}", TOGETHER_LIMIT)]


def _key(limit: Limit) -> str:
    return limit.key[:KEY_LENGTH]


def _lock_id(key: str) -> int:
    """A signed 32-bit number for a key; a rare collision only makes two keys wait in turn."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


async def _lock_keys(limits: list[Limit]) -> None:
    """Wait for the keys' locks; they are freed when the transaction ends.

    Locks are taken in one global order (by number), so two attempts never deadlock.
    """
    for lock_id in sorted({_lock_id(_key(limit)) for limit in limits}):
        await lock_key(ThrottleEvent, LOCK_NAMESPACE, lock_id)


async def _wait_at(limits: list[Limit], moment: dt.datetime) -> int:
    """Return seconds until every key is below its limit at `moment`; 0 when it is now."""
    wait = 0.0
    for limit in limits:
        rows = await ThrottleEvent.select(ThrottleEvent.occurred_at).where(
            (ThrottleEvent.key == _key(limit)) & (ThrottleEvent.occurred_at > moment - WINDOW)
        ).order_by(ThrottleEvent.occurred_at, ascending=False).limit(limit.limit)
        if len(rows) >= limit.limit:
            # Allowed again once the oldest of the last `limit` attempts leaves the window.
            freed_at = rows[-1]["occurred_at"] + WINDOW
            wait = max(wait, (freed_at - moment).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


async def retry_after(limits: list[Limit]) -> int:
    """Return seconds until another attempt is allowed; 0 when it is allowed now."""
    return await _wait_at(limits, now())


async def reserve(limits: list[Limit]) -> Reservation:
    """Count an attempt against every key, unless one of them is used up (then nothing)."""
    # On SQLite every transaction begins IMMEDIATE (coach.db.ServerTransaction): one
    # reservation at a time across every worker; on PostgreSQL the keys' locks do that.
    async with ThrottleEvent._meta.db.transaction():
        await _lock_keys(limits)
        moment = now()
        wait = await _wait_at(limits, moment)
        if wait:
            return Reservation(retry_after=wait)
        rows = await ThrottleEvent.insert(
            *[ThrottleEvent(key=_key(limit), occurred_at=moment) for limit in limits]
        ).returning(ThrottleEvent.id)
    await ThrottleEvent.delete().where(ThrottleEvent.occurred_at <= moment - WINDOW)
    return Reservation(event_ids=tuple(row["id"] for row in rows))


async def release(reservation: Reservation) -> None:
    """Give back a correct attempt's rows, so it does not count."""
    if reservation.event_ids:
        await ThrottleEvent.delete().where(ThrottleEvent.id.is_in(list(reservation.event_ids)))


async def clear(limits: list[Limit]) -> None:
    """Forget every counted attempt of these keys (after the right password was given)."""
    await ThrottleEvent.delete().where(ThrottleEvent.key.is_in([_key(lim) for lim in limits]))
