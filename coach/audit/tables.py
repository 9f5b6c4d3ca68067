from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """Who did what to which record, and when. Append-only: no route updates or deletes it.

    The one exception: an "unlink" erasure takes the ids of the rows it keeps out of the
    erased person's events (coach.participants.erasure), so they cannot lead to the copy.

    Actors are stored as plain ids and labels, not foreign keys, so that erasing
    or disabling someone never rewrites the history of what was done.
    """

    occurred_at = Timestamptz(null=False, index=True)
    actor_user_id = Integer(null=True, default=None, index=True)
    actor_label = Varchar(length=80, null=False, default="")  # "admin", "participant:12", "cli"
    action = Varchar(length=40, null=False, index=True)
    target_type = Varchar(length=30, null=False, default="")
    target_id = Integer(null=True, default=None)
    detail = JSON(default="{}", null=False)
    ip = Varchar(length=45, null=False, default="")
