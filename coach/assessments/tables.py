from piccolo.columns import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from coach.accounts.tables import User
from coach.choices import AssessmentMode
from coach.participants.tables import Participant


class Assessment(Table):
    """One completed instrument; scores are computed on the server from the answers."""

    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    instrument = Varchar(length=40, null=False)
    instrument_version = Varchar(length=20, null=False)
    taken_on = Date(null=False)
    completed_at = Timestamptz(null=False)
    answers = JSON(null=False)  # {item_id: value}
    raw_score = Integer(null=False)
    score = Float(null=False)
    band = Varchar(length=20, null=False)
    mode = Varchar(length=12, choices=AssessmentMode, null=False)
    recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


class CareFollowUp(Table):
    """A coach's "talked with them" after a low or fallen check; never exported.

    One row per check that asked for care, so a new low check asks again.
    """

    participant = ForeignKey(Participant, null=False, on_delete=OnDelete.cascade, index=True)
    assessment = ForeignKey(Assessment, null=False, on_delete=OnDelete.cascade, unique=True)
    done_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    done_at = Timestamptz(null=False)
