from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from coach.accounts.tables import User


class ProjectSetting(Table, tablename="project_setting"):
    """A project-wide choice an admin makes in the app, such as the disclosure policy."""

    key = Varchar(length=40, unique=True, null=False)
    value = Varchar(length=40, null=False)
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(null=False)
