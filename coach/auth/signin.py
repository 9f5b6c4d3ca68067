"""Checking a staff member's username and password, with throttling and audit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from coach.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from coach.accounts.tables import User
from coach.audit.log import now, record
from coach.auth import throttle


@dataclass(frozen=True)
class SignInResult:
    user: User | None = None
    retry_after: int = 0  # > 0: throttled, try again after this many seconds


async def check_password(user: User | None, password: str) -> bool:
    """Verify off the event loop; an unknown user costs as much time as a known one."""
    stored = user.password_hash if user is not None else DUMMY_HASH
    matches = await asyncio.to_thread(verify_password, stored, password)
    return matches and user is not None


async def sign_in(username: str, password: str, ip: str) -> SignInResult:
    """Return the user for a correct username and password, unless throttled."""
    username = username.strip()[:64]
    limits = throttle.login_limits(username, ip)
    wait = await throttle.retry_after(limits)
    if wait:
        await record("login.throttled", actor_label=username or "anonymous",
                     detail={"username": username, "retry_after": wait}, ip=ip)
        return SignInResult(retry_after=wait)
    user = await User.objects().where(User.username == username).first() if username else None
    if not await check_password(user, password) or user is None or not user.is_active:
        await throttle.record_failure(limits)
        reason = "unknown user" if user is None else (
            "disabled" if not user.is_active else "wrong password")
        await record("login.failure", actor_user_id=user.id if user else None,
                     actor_label=username or "anonymous", target_type="user",
                     target_id=user.id if user else None,
                     detail={"username": username, "reason": reason}, ip=ip)
        return SignInResult()
    changes = {User.last_login_at: now()}
    if needs_rehash(user.password_hash):
        changes[User.password_hash] = hash_password(password)
    await User.update(changes).where(User.id == user.id)
    await throttle.clear_username(username)
    await record("login.success", actor_user_id=user.id, actor_label=user.username,
                 target_type="user", target_id=user.id, ip=ip)
    return SignInResult(user=user)
