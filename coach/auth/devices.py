"""Known devices: a signed, long-lived cookie set where a staff member signed in.

Sign-in attempts from a known device are counted against that device alone (see
throttle.device_limits), so a stranger's wrong passwords for the username, or from the
same shared address, cannot lock the coach out of the phone or laptop they always use.
The cookie holds "user id.issued (unix time).random.signature" and nothing secret; it
proves only that this browser signed in as that user once, within DEVICE_DAYS.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from litestar.datastructures import Cookie

from coach.same_text import same_text
from coach.settings import Settings

DEVICE_COOKIE = "coach_device"
DEVICE_DAYS = 180
_MAX_LENGTH = 200


@dataclass(frozen=True)
class KnownDevice:
    user_id: int
    key: str  # what its attempts are counted under


def _signing_key(settings: Settings) -> bytes:
    # Derived from the app secret, so it differs from the CSRF key and any other use of it.
    return hmac.new(settings.secret_key.encode(), b"known-device", hashlib.sha256).digest()


def _signature(settings: Settings, body: str) -> str:
    return hmac.new(_signing_key(settings), body.encode(), hashlib.sha256).hexdigest()


def issue_device(settings: Settings, user_id: int) -> str:
    """Return a new cookie value marking this browser as a known device of the user."""
    body = f"{user_id}.{int(time.time())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_signature(settings, body)}"


def read_device(settings: Settings, value: str | None) -> KnownDevice | None:
    """Return the device a cookie value names, if its signature holds and it is not too old."""
    if not value or len(value) > _MAX_LENGTH:
        return None
    parts = value.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user_id, issued, nonce, signature = parts
    if not same_text(signature, _signature(settings, f"{user_id}.{issued}.{nonce}")):
        return None
    if time.time() - int(issued) > DEVICE_DAYS * 24 * 3600:
        return None
    return KnownDevice(user_id=int(user_id), key=f"{user_id}:{nonce}")


def device_cookie(settings: Settings, value: str) -> Cookie:
    return Cookie(
        key=DEVICE_COOKIE,
        value=value,
        path="/",
        max_age=DEVICE_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.production,
    )
