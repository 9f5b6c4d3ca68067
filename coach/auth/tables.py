from piccolo.columns import JSON, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from coach.accounts.tables import User
from coach.participants.tables import Participant


class WebSession(Table, tablename="web_session"):
    """A signed-in browser. The cookie holds a random id; only its hash is stored."""

    token_hash = Varchar(length=64, unique=True, null=False)
    user = ForeignKey(User, null=True, on_delete=OnDelete.cascade, index=True)
    participant = ForeignKey(Participant, null=True, on_delete=OnDelete.cascade, index=True)
    data = JSON(default="{}", null=False)
    created_at = Timestamptz(null=False)
    last_seen_at = Timestamptz(null=False)
    expires_at = Timestamptz(null=False)


class Invite(Table):
    """A participant's personal link: stored as a hash, works again and again (coach.auth.invites).

    expires_at is the end of the last day of the six-month follow-up, as it was when the
    link was made; used_at is when the link was last used to sign in.
    """

    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, null=False)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(null=False)
    expires_at = Timestamptz(null=False)
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class ThrottleEvent(Table, tablename="throttle_event"):
    """A failed attempt counted against a key such as "user:anna" or "ip:10.0.0.1"."""

    key = Varchar(length=120, null=False, index=True)
    occurred_at = Timestamptz(null=False, index=True)


class ApiToken(Table, tablename="api_token"):
    """An evaluator's token for fetching exports from scripts; only its hash is stored."""

    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, null=False)
    label = Varchar(length=60, null=False, default="")
    created_at = Timestamptz(null=False)
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
