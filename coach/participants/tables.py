from piccolo.columns import (
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from coach.accounts.tables import User
from coach.choices import Education, Gender, LabourStatus, UnemploymentDuration
from coach.groups.tables import CoachingGroup


class Participant(Table):
    """A member of a group. Only what the work needs; no contact or identity data."""

    group = ForeignKey(CoachingGroup, null=False, on_delete=OnDelete.restrict, index=True)
    # First name or nickname; seen by the group's coaches and admins, never exported.
    display_name = Varchar(length=80, null=False)
    birth_year = Integer(null=False)
    gender = Varchar(length=16, choices=Gender, null=False)
    education = Varchar(length=20, choices=Education, null=False)
    status_at_entry = Varchar(length=32, choices=LabourStatus, null=False)
    unemployed_for = Varchar(length=12, choices=UnemploymentDuration, null=True, default=None)
    enrolled_on = Date(null=False)
    exited_on = Date(null=True, default=None)
    exit_reason = Text(null=True, default=None)
    consent_given_on = Date(null=True, default=None)
    consent_version = Varchar(length=20, null=True, default=None)
    consent_recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    consent_withdrawn_on = Date(null=True, default=None)
    erased_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)


class StatusChange(Table, tablename="labour_status"):
    """One dated entry of a participant's labour-market history."""

    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=32, choices=LabourStatus, null=False)
    effective_on = Date(null=False)
    recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    recorded_at = Timestamptz(null=False)


class KeptAttendance(Table, tablename="kept_attendance"):
    """Attendance that an "unlink" erasure keeps: counts per month of the group, no meetings.

    Rows that named meetings would give exact dates; the coach knows who came when.
    """

    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    month = Integer(null=False)  # whole months since the group's start, as reports count them
    meetings = Integer(null=False)  # meetings of that month the person was expected at
    present = Integer(null=False)
