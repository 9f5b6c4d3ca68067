"""Audit action codes in words, as the admin reads them in the audit log.

The codes stay what is stored and exported; these words are only for reading.
tests/test_audit_labels.py fails when code in coach/ writes an action that has no
words here, so a new `audit(...)` or `record(...)` call needs a line below.
The participant's own log of their data tells the same events from their side
(coach/participant_portal/access_log.py).
"""

from __future__ import annotations

from coach.i18n import gettext as _


def action_labels() -> dict[str, str]:
    """Return every known action code with its words in the current language."""
    return {
        # Signing in and out
        "login.success": _("signed in"),
        "login.failure": _("sign-in failed"),
        "login.throttled": _("sign-in refused: too many tries"),
        "logout": _("signed out of the app"),
        "password.change": _("changed their password"),
        "password.failure": _("gave a wrong password when changing it"),
        "password.throttled": _("password change refused: too many tries"),
        # Participants' links and filling in together
        "invite.create": _("made a sign-in link for a participant"),
        "invite.revoke": _("cancelled a participant's links"),
        "invite.use": _("a participant signed in with a link"),
        "invite.failure": _("someone opened a link that does not work"),
        "invite.throttled": _("link refused: too many bad links"),
        "together.start": _("started filling in together"),
        "together.end": _("ended filling in together on the coach's phone"),
        "together.failure": _("wrong password when ending filling in together"),
        "together.throttled": _("filling in together stopped: too many wrong passwords"),
        # Staff users and groups
        "user.create": _("created a user"),
        "user.password_reset": _("reset a user's password"),
        "user.disable": _("disabled a user"),
        "user.enable": _("enabled a user"),
        "group.create": _("created a group"),
        "group.view": _("looked at a group"),
        "group.coach_add": _("added a coach to a group"),
        "group.coach_remove": _("removed a coach from a group"),
        "group.close": _("closed a group"),
        "home.view": _("opened the home page"),
        # Meetings
        "meeting.create": _("recorded a meeting"),
        "meeting.view": _("looked at a meeting"),
        "meeting.update": _("changed a meeting"),
        "meeting.attendance": _("changed a meeting's attendance"),
        "meeting.delete": _("deleted a meeting"),
        # Participants
        "participant.create": _("added a participant"),
        "participant.view": _("looked at a participant"),
        "participant.update": _("changed a participant's details"),
        "participant.news": _("recorded news about work or studies"),
        "participant.news.delete": _("removed news about work or studies"),
        "participant.leave": _("marked that a participant left"),
        "participant.erase.view": _("opened the erasure page"),
        "participant.erase": _("erased a participant"),
        "erasure.queue.view": _("looked at the list of participants waiting for erasure"),
        "participant.home.view": _("a participant opened their home page"),
        "participant.progress.view": _("a participant looked at their progress"),
        "participant.data.view": _("a participant looked at their data"),
        "participant.data.download": _("a participant downloaded their data"),
        "assessment.create": _("saved a self-assessment"),
        "consent.withdraw": _("a participant withdrew consent"),
        "care.done": _("marked a talk about wellbeing done"),
        # Reports and exports
        "report.trends.view": _("looked at the trend report"),
        "report.summary.view": _("looked at the summary"),
        "report.funder.view": _("looked at the funder's report"),
        "disclosure.set": _("changed the disclosure policy"),
        "export.download": _("downloaded the anonymised data"),
        "export.refused": _("anonymised data export stopped by its checks"),
        "export.create": _("exported the anonymised data (command line)"),
        "export.token.create": _("created an API token"),
        "export.token.revoke": _("revoked an API token"),
        "audit.export": _("downloaded the audit log"),
        "demo.create": _("filled the database with demo data"),
    }


def action_in_words(code: str, labels: dict[str, str]) -> str:
    """Return the words for an action code, or the code itself when it has none."""
    return labels.get(code, code)
