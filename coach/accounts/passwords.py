"""Password hashing (Argon2id) and the password policy (NIST SP 800-63B).

Passwords are compared after Unicode normalisation (NFKC), so that the same password
typed on another keyboard or phone (full-width letters, "ä" as "a" plus a combining
mark) is the same password.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coach.i18n import gettext as _

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords.txt"

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile


class PasswordRejected(ValueError):
    """The password breaks the policy; the message says why, in the user's language."""


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def too_long(password: str) -> bool:
    """Say whether a password is over the limit, as typed or normalised.

    The typed length is looked at first, so a huge value costs nothing more.
    """
    return len(password) > MAX_PASSWORD_LENGTH or len(normalise(password)) > MAX_PASSWORD_LENGTH


def check_policy(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless the password is long, varied and not easy to guess."""
    if too_long(password):
        raise PasswordRejected(
            _("Use at most %(count)s characters.") % {"count": MAX_PASSWORD_LENGTH})
    password = normalise(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(_("Use at least %(n)s characters.") % {"n": MIN_PASSWORD_LENGTH})
    if password.isspace():
        raise PasswordRejected(_("A password cannot be only spaces."))
    if len(set(password)) == 1:
        raise PasswordRejected(_("A password cannot be one character repeated."))
    folded = password.casefold()
    if folded in common_passwords():
        raise PasswordRejected(_("This password is too easy to guess. Choose another."))
    if username and normalise(username).casefold() in folded:
        raise PasswordRejected(_("A password cannot contain your username."))


def hash_password(password: str) -> str:
    if too_long(password):
        # The policy refuses these first; this keeps a huge value from ever reaching Argon2.
        raise ValueError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(normalise(password))


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """Say whether the password is the one hashed; an over-long one never matches.

    Hashes made before normalisation hold the password as it was typed, so a password
    that normalisation changes is also tried as typed. The extra try depends only on
    the password, never on whether the account exists.
    """
    if too_long(password):
        return False  # no such password can be set, and Argon2 never sees a huge value
    normalised = normalise(password)
    if _matches(password_hash, normalised):
        return True
    return normalised != password and _matches(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verifying against this keeps the time of a login for an unknown user like that of a known one.
DUMMY_HASH = hash_password("not-a-real-password-just-for-timing")
