"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coach.i18n import gettext as _

MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords.txt"

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile


class PasswordRejected(ValueError):
    """The password breaks the policy; the message says why, in the user's language."""


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def check_policy(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless the password is long and not a common one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(_("Use at least %(n)s characters.") % {"n": MIN_PASSWORD_LENGTH})
    lowered = password.lower()
    if lowered in common_passwords() or (username and username.lower() in lowered):
        raise PasswordRejected(_("This password is too easy to guess. Choose another."))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verifying against this keeps the time of a login for an unknown user like that of a known one.
DUMMY_HASH = hash_password("not-a-real-password-just-for-timing")
