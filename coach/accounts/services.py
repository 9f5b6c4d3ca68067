"""Staff accounts: creation, passwords and disabling."""

from __future__ import annotations

import asyncio
import secrets

from coach.accounts.passwords import (
    PasswordRejected,
    check_policy,
    hash_password,
    verify_password,
)
from coach.accounts.tables import User
from coach.audit.log import now, record
from coach.choices import Role
from coach.i18n import gettext as _

__all__ = ["PasswordRejected", "create_user", "username_taken"]


async def username_taken(username: str) -> bool:
    """Say whether a username is in use, ignoring case (COACH1 is coach1)."""
    rows = await User.raw(
        "SELECT 1 AS taken FROM app_user WHERE lower(username) = lower({}) LIMIT 1", username)
    return bool(rows)


async def create_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    actor_user_id: int | None = None,
    actor_label: str = "",
    skip_policy: bool = False,
) -> User:
    """Create a staff user; refuse taken usernames, unknown roles and weak passwords."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValueError("A username must be 1 to 64 characters.")
    if role not in {r.value for r in Role}:
        raise ValueError(f"Unknown role {role!r}.")
    if not skip_policy:
        check_policy(password, username)
    if await username_taken(username):
        raise ValueError(f"The username {username!r} is taken.")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        created_at=now(),
    )
    try:
        await user.save()
    except Exception as exc:
        # Two requests at once: the unique index on lower(username) lets only one through.
        if await username_taken(username):
            raise ValueError(f"The username {username!r} is taken.") from exc
        raise
    await record(
        "user.create",
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        target_type="user",
        target_id=user.id,
        detail={"username": username, "role": role},
    )
    return user


def temporary_password() -> str:
    """Return a random password for an admin to hand over; it must be changed at sign-in."""
    # Groups of four letters and digits are easy to read aloud and type on a phone.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


async def set_password(user_id: int, password: str, *, must_change: bool) -> None:
    await User.update(
        {User.password_hash: hash_password(password), User.must_change_password: must_change}
    ).where(User.id == user_id)


async def change_password(user: User, current: str, new: str, repeat: str) -> dict[str, str]:
    """Change a user's own password; return errors by field, empty on success."""
    errors: dict[str, str] = {}
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        errors["current_password"] = _("The current password is not correct.")
    if new != repeat:
        errors["new_password_again"] = _("The new passwords are not the same.")
    try:
        check_policy(new, user.username)
    except PasswordRejected as exc:
        errors["new_password"] = str(exc)
    if not errors and await asyncio.to_thread(verify_password, user.password_hash, new):
        errors["new_password"] = _("Choose a password different from the current one.")
    if not errors:
        await set_password(user.id, new, must_change=False)
    return errors


async def reset_password(user_id: int) -> str:
    """Give a user a temporary password they must change at next sign-in; return it."""
    password = temporary_password()
    await set_password(user_id, password, must_change=True)
    return password


async def set_active(user_id: int, active: bool) -> None:
    await User.update({User.is_active: active}).where(User.id == user_id)
