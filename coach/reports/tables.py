from piccolo.columns import JSON, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from coach.accounts.tables import User


class ProjectSetting(Table, tablename="project_setting"):
    """A project-wide choice an admin makes in the app, such as the disclosure policy."""

    key = Varchar(length=40, unique=True, null=False)
    value = Varchar(length=40, null=False)
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(null=False)


class ReportSnapshot(Table, tablename="report_snapshot"):
    """One scope's computed report of a large project, kept for a few minutes.

    Every worker reads it, so a project of thousands of groups computes its reports once
    per few minutes instead of on every view; small projects never store one.
    """

    kind = Varchar(length=40, null=False)  # "trends:2026-12-01:standard"
    scope = Varchar(length=40, null=False, index=True)  # "all", "year:2025", "group:17"
    computed_at = Timestamptz(null=False)
    payload = JSON(null=False)
