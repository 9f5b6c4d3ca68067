"""Staff accounts: creation and lookup."""

from __future__ import annotations

from coach.accounts.passwords import PasswordRejected, check_policy, hash_password
from coach.accounts.tables import User
from coach.audit.log import now, record
from coach.choices import Role

__all__ = ["PasswordRejected", "create_user"]


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
    if await User.exists().where(User.username == username):
        raise ValueError(f"The username {username!r} is taken.")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        created_at=now(),
    )
    await user.save()
    await record(
        "user.create",
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        target_type="user",
        target_id=user.id,
        detail={"username": username, "role": role},
    )
    return user
