from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
)
from piccolo.table import Table

from coach.accounts.tables import User
from coach.groups.tables import CoachingGroup
from coach.participants.tables import Participant


class Meeting(Table):
    """One group meeting (a "session" in the design; renamed to keep it apart from logins)."""

    group = ForeignKey(CoachingGroup, null=False, on_delete=OnDelete.cascade, index=True)
    held_on = Date(null=False, index=True)
    duration_minutes = Integer(null=False)
    themes = JSON(default="[]", null=False)  # list of Theme values
    private_note = Text(default="", null=False)  # never exported
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(null=False)
    updated_at = Timestamptz(null=False)
    # Every save adds one; an edit form carries the version it showed, and a save from an
    # outdated form is refused instead of overwriting what someone else saved meanwhile.
    version = Integer(default=1, null=False)
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


class Attendance(Table):
    meeting = ForeignKey(Meeting, null=False, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    present = Boolean(null=False, default=False)
