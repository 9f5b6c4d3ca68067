"""Save a form once per submission key.

Every form that creates a row carries a hidden `submission_key`, a UUID made when the
form is rendered. A route validates the form as before and then calls `save_once` with
the write to do; the key's record goes into the same transaction as the write, so either
both are stored or neither is (a form refused for bad input can be corrected and sent
again with the same key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from coach.audit.log import now
from coach.i18n import gettext as _
from coach.submissions.tables import FormSubmission

KEY_FIELD = "submission_key"
# Fields that differ between two sends of the same entry and say nothing about its content.
NOT_CONTENT = frozenset({KEY_FIELD, "_csrf_token"})
KEY_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# An offline phone sends within days; a month covers a long holiday with a full queue.
KEPT_FOR = dt.timedelta(days=30)


class BadKey(ClientException):
    """The submission key is not a UUID: 400, nothing saved."""

    status_code = HTTP_400_BAD_REQUEST
    user_message = True  # the error page shows the reason

    def __init__(self, value: str) -> None:
        super().__init__(detail=_(
            "The form was damaged on the way. Open it again and save once more."))
        self.value = value


class KeyReused(ClientException):
    """The key was already used for a different entry: 409, nothing saved.

    A stale copy of an entry already saved (for example from a second tab); saving it
    would make a second row.
    """

    status_code = HTTP_409_CONFLICT
    user_message = True

    def __init__(self, key: str) -> None:
        super().__init__(detail=_(
            "This entry was already saved with different content. Nothing new was saved: "
            "open the saved entry to change it."))
        self.key = key


@dataclass(frozen=True)
class Submission:
    actor: str
    key: str
    fingerprint: str

    @property
    def scoped_key(self) -> str:
        return f"{self.actor}:{self.key}"


def new_key() -> str:
    """A fresh key for a form being rendered."""
    return str(uuid.uuid4())


def fingerprint(fields: Iterable[tuple[str, str]]) -> str:
    """A hash of a form's content, independent of field order and of the CSRF token."""
    digest = hashlib.sha256()
    for name, value in sorted(fields):
        if name in NOT_CONTENT:
            continue
        digest.update(f"{len(name)}:{name}{len(value)}:{value}".encode())
    return digest.hexdigest()


def user_actor(user_id: int) -> str:
    return f"user:{user_id}"


def participant_actor(participant_id: int) -> str:
    return f"participant:{participant_id}"


def from_form(actor: str, fields: list[tuple[str, str]]) -> Submission | None:
    """Read the key from a submitted form; None when the form carries none (older pages)."""
    keys = [value for name, value in fields if name == KEY_FIELD]
    if not keys or keys == [""]:
        return None
    if len(keys) != 1 or not KEY_PATTERN.fullmatch(keys[0]):
        raise BadKey(keys[0][:40])
    return Submission(actor=actor, key=keys[0], fingerprint=fingerprint(fields))


async def earlier_target(submission: Submission) -> str | None:
    """Where the first save of this key went, or None if it was never saved."""
    row = await (
        FormSubmission.select(FormSubmission.fingerprint, FormSubmission.target)
        .where(FormSubmission.scoped_key == submission.scoped_key)
        .first()
    )
    if row is None:
        return None
    if row["fingerprint"] != submission.fingerprint:
        raise KeyReused(submission.key)
    return row["target"]


async def save_once(
    submission: Submission | None, write: Callable[[], Awaitable[str]]
) -> tuple[str, bool]:
    """Run `write` (which returns the page to go to) once for this key.

    Returns (target, repeated). A repeat of a saved key returns the first target; the same
    key with other content raises KeyReused. Routes look for an earlier save before their
    checks (`repeat_of` in coach.submissions.requests), so a repeat here is one that arrived
    meanwhile: both try, and the unique key lets one commit and the other roll back and
    answer as a repeat.
    """
    engine = FormSubmission._meta.db
    if submission is None:
        async with engine.transaction():
            return await write(), False
    stamp = now()
    try:
        async with engine.transaction():
            target = await write()
            await FormSubmission.delete().where(
                (FormSubmission.actor == submission.actor)
                & (FormSubmission.created_at < stamp - KEPT_FOR)
            )
            await FormSubmission.insert(
                FormSubmission(
                    actor=submission.actor,
                    scoped_key=submission.scoped_key,
                    fingerprint=submission.fingerprint,
                    target=target[:500],
                    created_at=stamp,
                )
            )
        return target, False
    except Exception:
        # The write rolled back. If the key is stored now, another send of it committed
        # first (the unique key stopped this one): answer as that one did.
        target = await earlier_target(submission)
        if target is None:
            raise
        return target, True


async def forget_submissions_of(participant_id: int) -> None:
    """At erasure: remove the person's own keys and the keys of forms that led to their page.

    Nothing of the person stays behind, and a late repeat of such a form is saved anew,
    which then fails as any write about an erased person does.
    """
    page = f"/participants/{participant_id}"
    await FormSubmission.delete().where(
        (FormSubmission.actor == participant_actor(participant_id))
        | (FormSubmission.target == page)
        | FormSubmission.target.like(f"{page}/%")
        | FormSubmission.target.like(f"{page}#%")
        | FormSubmission.target.like(f"{page}?%")
    )
