from piccolo.columns import Timestamptz, Varchar
from piccolo.table import Table


class FormSubmission(Table):
    """A saved form's submission key, written in the same transaction as the form's rows.

    `scoped_key` is "<actor>:<key>" and unique, so two users' keys never collide and a
    repeat (even at the same moment) cannot write twice. `fingerprint` is a hash of the
    form's content: the same key with other content is refused. `target` is where the
    first save sent the browser, so a repeat lands on the same page.
    """

    actor = Varchar(length=40, null=False, index=True)  # "user:12" or "participant:34"
    scoped_key = Varchar(length=120, null=False, unique=True)
    fingerprint = Varchar(length=64, null=False)
    target = Varchar(length=500, null=False)
    created_at = Timestamptz(null=False)
