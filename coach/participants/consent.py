"""Withdrawn consent: from that day nothing new is recorded about the person.

The rule must hold when a withdrawal and a write come at the same moment, so every write
re-reads consent inside its own transaction, after locking the person's row:
PostgreSQL waits for a withdrawal in progress and then returns the row as it committed;
SQLite's IMMEDIATE write transactions already run one after the other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_409_CONFLICT

from coach.db import row_locked
from coach.i18n import gettext as _
from coach.participants.tables import Participant


class ConsentWithdrawn(ClientException):
    """A write about people who withdrew consent: refused with 409, nothing saved."""

    status_code = HTTP_409_CONFLICT
    user_message = True  # the error page shows the reason

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join(sorted(names, key=str.casefold))
        super().__init__(detail=_("Consent has been withdrawn: %(names)s. Nothing was saved.")
                         % {"names": listed})


class ParticipantRemoved(ClientException):
    """The person was erased after the page looked them up: 409, nothing saved."""

    status_code = HTTP_409_CONFLICT
    user_message = True

    def __init__(self) -> None:
        super().__init__(
            detail=_("Someone removed this record at the same moment. Nothing was saved."))


def has_withdrawn(participant: Participant | dict[str, Any]) -> bool:
    """Say whether the person has withdrawn consent."""
    # A withdrawal is dated the day it is made, so a recorded date is always in force.
    value = (participant.get("consent_withdrawn_on") if isinstance(participant, dict)
             else participant.consent_withdrawn_on)
    return value is not None


async def locked_people(where: Any) -> list[dict[str, Any]]:
    """Return id, name and withdrawal of the (not erased) people matched, locked until the
    transaction ends. Call inside a transaction.

    FOR SHARE is enough: it makes a withdrawal (an UPDATE of the row) wait for this
    transaction, and lets other saves that only read the row go on side by side.
    """
    query = (Participant.select(Participant.id, Participant.display_name,
                                Participant.consent_withdrawn_on)
             .where(where).where(Participant.erased_at.is_null())
             .order_by(Participant.id))  # always the same order: no deadlock between saves
    return await row_locked(query, "SHARE")


async def lock_for_new_data(participant_id: int) -> None:
    """Lock one person and raise unless new data may be recorded about them."""
    rows = await locked_people(Participant.id == participant_id)
    if not rows:
        raise ParticipantRemoved()
    if has_withdrawn(rows[0]):
        raise ConsentWithdrawn([rows[0]["display_name"]])


async def erasure_queue(today: dt.date) -> list[dict[str, Any]]:
    """Return the people who withdrew consent and are not erased yet, longest waiting first."""
    rows = await (Participant.select(Participant.id, Participant.display_name,
                                     Participant.consent_withdrawn_on,
                                     Participant.group.name.as_alias("group_name"))
                  .where(Participant.consent_withdrawn_on.is_not_null())
                  .where(Participant.erased_at.is_null())
                  .order_by(Participant.consent_withdrawn_on).order_by(Participant.id))
    for row in rows:
        row["days"] = max(0, (today - row["consent_withdrawn_on"]).days)
    return rows


async def erasure_queue_length() -> int:
    """Return how many people wait for an admin to erase their data."""
    return await Participant.count().where(Participant.consent_withdrawn_on.is_not_null()
                                           & Participant.erased_at.is_null())

