"""Checking a staff member's username and password, with throttling and audit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from coach.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from coach.accounts.tables import User
from coach.audit.log import now, record
from coach.auth import throttle
from coach.auth.devices import KnownDevice


@dataclass(frozen=True)
class SignInResult:
    user: User | None = None
    retry_after: int = 0  # > 0: throttled, try again after this many seconds


async def check_password(user: User | None, password: str) -> bool:
    """Verify off the event loop; an unknown user costs as much time as a known one."""
    stored = user.password_hash if user is not None else DUMMY_HASH
    matches = await asyncio.to_thread(verify_password, stored, password)
    return matches and user is not None


def is_known(device: KnownDevice | None, user_id: int | None) -> bool:
    """Say whether the browser is a known device of this user."""
    return device is not None and user_id is not None and device.user_id == user_id


def attempt_limits(
    user_id: int | None, username: str, ip: str, device: KnownDevice | None
) -> list[throttle.Limit]:
    """Return the counters for a password guess: a known device's own, else the
    username's and the address's."""
    if is_known(device, user_id):
        return throttle.device_limits(device.key)
    return throttle.login_limits(username, ip)


async def sign_in(
    username: str, password: str, ip: str, device: KnownDevice | None = None
) -> SignInResult:
    """Return the user for a correct username and password, unless throttled.

    The attempt is counted before the password is checked, so guesses sent all at once
    cannot get past the limit; a correct attempt is given back.
    """
    username = username.strip()[:64]
    user = await User.objects().where(User.username == username).first() if username else None
    limits = attempt_limits(user.id if user else None, username, ip, device)
    reservation = await throttle.reserve(limits)
    if reservation.refused:
        await record("login.throttled", actor_label=username or "anonymous",
                     detail={"username": username, "retry_after": reservation.retry_after},
                     ip=ip)
        return SignInResult(retry_after=reservation.retry_after)
    if not await check_password(user, password) or user is None or not user.is_active:
        # The reserved attempt stays counted: it was a failure.
        reason = "unknown user" if user is None else (
            "disabled" if not user.is_active else "wrong password")
        await record("login.failure", actor_user_id=user.id if user else None,
                     actor_label=username or "anonymous", target_type="user",
                     target_id=user.id if user else None,
                     detail={"username": username, "reason": reason}, ip=ip)
        return SignInResult()
    await throttle.release(reservation)
    if is_known(device, user.id):
        await throttle.clear(limits)  # the device's earlier typos are forgiven
    changes = {User.last_login_at: now()}
    if needs_rehash(user.password_hash):
        changes[User.password_hash] = hash_password(password)
    await User.update(changes).where(User.id == user.id)
    await record("login.success", actor_user_id=user.id, actor_label=user.username,
                 target_type="user", target_id=user.id, ip=ip)
    return SignInResult(user=user)
