from piccolo.columns import Boolean, Text, Timestamptz, Varchar
from piccolo.table import Table

from coach.choices import Role


class User(Table, tablename="app_user"):
    """A member of staff: admin, coach or evaluator."""

    username = Varchar(length=64, unique=True, null=False)
    display_name = Varchar(length=120, default="")
    password_hash = Text(null=False)
    role = Varchar(length=16, choices=Role, null=False)
    is_active = Boolean(default=True, null=False)
    must_change_password = Boolean(default=False, null=False)
    language = Varchar(length=5, default="", null=False)
    created_at = Timestamptz(null=False)
    last_login_at = Timestamptz(null=True, default=None)
