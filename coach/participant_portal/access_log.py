"""The audit events about a participant, told to them by role and in plain words.

Staff are named only by their role: the participant has a right to know that their
data was handled and when, not to learn usernames. IP addresses and the `detail`
field (which may hold internals) are never read here.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import And

from coach.accounts.tables import User
from coach.audit.tables import AuditEvent
from coach.forms import LOCAL_ZONE
from coach.i18n import gettext as _

PAGE_LIMIT = 100
ERASED = "participant.erase"
TOGETHER_MARK = "(together: participant:"
# Public routes whose actor is not signed in yet: the one who holds the personal link.
LINK_HOLDER_ACTIONS = frozenset({"invite.use"})


async def _about(participant_id: int) -> And:
    condition = (AuditEvent.target_type == "participant") & (AuditEvent.target_id == participant_id)
    # SQLite may give an erased person's id to someone new; their history is not ours.
    erased = (
        await AuditEvent.select(AuditEvent.id)
        .where(condition & (AuditEvent.action == ERASED))
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )
    if erased is not None:
        condition = condition & (AuditEvent.id > erased["id"])
    return condition


async def count_events(participant_id: int) -> int:
    """Return how many audit events there are about the participant."""
    return await AuditEvent.count().where(await _about(participant_id))


async def access_log(participant_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the audit events about the participant, newest first: when, who (a role), action."""
    query = (
        AuditEvent.select(
            AuditEvent.occurred_at,
            AuditEvent.actor_user_id,
            AuditEvent.actor_label,
            AuditEvent.action,
        )
        .where(await _about(participant_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id, ascending=False)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await query
    user_ids = {row["actor_user_id"] for row in rows if row["actor_user_id"] is not None}
    roles = (
        {
            row["id"]: row["role"]
            for row in await User.select(User.id, User.role).where(User.id.is_in(list(user_ids)))
        }
        if user_ids
        else {}
    )
    return [
        {
            "occurred_at": row["occurred_at"].astimezone(LOCAL_ZONE).replace(microsecond=0),
            "who": who(row, roles),
            "action": row["action"],
        }
        for row in rows
    ]


def who(row: dict[str, Any], roles: dict[int, str]) -> str:
    """Return the role of the event's actor: you, together, coach, admin, evaluator or unknown."""
    label = row["actor_label"] or ""
    user_id = row["actor_user_id"]
    if user_id is not None and TOGETHER_MARK in label:
        return "together"
    if user_id is None and label.startswith("participant:"):
        return "you"
    if user_id is None and label == "anonymous" and row["action"] in LINK_HOLDER_ACTIONS:
        return "you"
    if user_id is None and label == "cli":
        return "admin"  # the command line is run on the server by the project's administrator
    role = roles.get(user_id) if user_id is not None else None
    return role if role in ("coach", "admin", "evaluator") else "unknown"


def _who_phrases() -> dict[str, str]:
    return {
        "you": _("You"),
        "together": _("You, with your coach"),
        "coach": _("Your coach"),
        "admin": _("The project's administrator"),
        "evaluator": _("The project's evaluator"),
        "unknown": _("Someone from the project"),
    }


def _action_phrases() -> dict[str, str]:
    return {
        "participant.create": _("added you to the project"),
        "participant.view": _("looked at your details"),
        "participant.update": _("changed your details"),
        "participant.news": _("recorded news about your work or studies"),
        "participant.news.delete": _("removed news about your work or studies"),
        "participant.leave": _("marked that you left the group"),
        "participant.erase.view": _("opened the page for erasing your data"),
        "participant.home.view": _("opened your home page"),
        "participant.progress.view": _("looked at your progress"),
        "participant.data.view": _("looked at your data"),
        "participant.data.download": _("downloaded your data"),
        "assessment.create": _("saved your answers"),
        "care.done": _("noted that they talked with you about how you are doing"),
        "consent.withdraw": _("withdrew your consent"),
        "invite.create": _("made a sign-in link for you"),
        "invite.revoke": _("cancelled your sign-in links"),
        "invite.use": _("signed in with your link"),
        "together.start": _("started filling in together on the coach's phone"),
        "together.end": _("ended filling in together"),
        "together.failure": _("gave a wrong password when ending filling in together"),
        "together.throttled": _("filling in together stopped after too many wrong passwords"),
        "logout": _("signed out"),
    }


def readable_log(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the events with the actor and the action in the current language."""
    whom, actions = _who_phrases(), _action_phrases()
    readable = []
    for row in rows:
        action = actions.get(row["action"]) or _("a change or view of your data: %(action)s") % {
            "action": row["action"]
        }
        readable.append({"at": row["occurred_at"], "who": whom[row["who"]], "what": action})
    return readable
