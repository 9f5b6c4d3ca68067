from piccolo.columns import JSON, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from coach.auth.tables import WebSession
from coach.participants.tables import Participant


class CheckDraft(Table, tablename="check_draft"):
    """The answers of a check not saved yet: kept on the server, never on the phone.

    One per session, deleted with it; a draft of an earlier hand-over of the phone or of
    an older cookie of the session (session_key) is not shown again.
    """

    session = ForeignKey(WebSession, null=False, on_delete=OnDelete.cascade, unique=True)
    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    session_key = Varchar(length=64, null=False)  # the hash of the cookie that began it
    instruments = Varchar(length=200, null=False)  # ids in check order, comma-separated
    answers = JSON(default="{}", null=False)  # {instrument id: {item id: value}}
    saved_at = Timestamptz(null=True, default=None)  # set (answers emptied) once saved
    updated_at = Timestamptz(null=False)
