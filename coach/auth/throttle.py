"""Failed-attempt counters in the database, shared by every worker."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from coach.audit.log import now
from coach.auth.tables import ThrottleEvent

WINDOW = dt.timedelta(minutes=15)
USERNAME_LIMIT = 5
IP_LIMIT = 20
INVITE_IP_LIMIT = 20


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int


def login_limits(username: str, ip: str) -> list[Limit]:
    """Return the counters a sign-in attempt is checked against."""
    limits = [Limit(f"ip:{ip}", IP_LIMIT)]
    name = username.strip().lower()[:100]
    if name:
        limits.insert(0, Limit(f"user:{name}", USERNAME_LIMIT))
    return limits


def invite_limits(ip: str) -> list[Limit]:
    """Return the counters an invite-link attempt is checked against."""
    return [Limit(f"invite-ip:{ip}", INVITE_IP_LIMIT)]


async def retry_after(limits: list[Limit]) -> int:
    """Return seconds until another attempt is allowed; 0 when it is allowed now."""
    moment = now()
    since = moment - WINDOW
    wait = 0.0
    for limit in limits:
        rows = await ThrottleEvent.select(ThrottleEvent.occurred_at).where(
            (ThrottleEvent.key == limit.key) & (ThrottleEvent.occurred_at > since)
        ).order_by(ThrottleEvent.occurred_at, ascending=False).limit(limit.limit)
        if len(rows) >= limit.limit:
            # Allowed again once the oldest of the last `limit` failures leaves the window.
            freed_at = rows[-1]["occurred_at"] + WINDOW
            wait = max(wait, (freed_at - moment).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


async def record_failure(limits: list[Limit]) -> None:
    """Count a failed attempt against every key, and forget failures outside the window."""
    moment = now()
    await ThrottleEvent.insert(
        *[ThrottleEvent(key=limit.key[:120], occurred_at=moment) for limit in limits]
    )
    await ThrottleEvent.delete().where(ThrottleEvent.occurred_at <= moment - WINDOW)


async def clear_username(username: str) -> None:
    """Forget a username's failures after it signed in; the address keeps its own count."""
    for limit in login_limits(username, ""):
        if limit.key.startswith("user:"):
            await ThrottleEvent.delete().where(ThrottleEvent.key == limit.key[:120])
