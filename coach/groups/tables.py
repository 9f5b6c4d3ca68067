from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from coach.accounts.tables import User


class CoachingGroup(Table, tablename="coaching_group"):
    name = Varchar(length=120, null=False)
    # The name as the group lists' search compares it: coach.paging.fold(name), written
    # with the name (names are never changed). SQLite's lower() knows only ASCII and
    # PostgreSQL's follows the database's locale, so the database cannot fold it itself.
    name_folded = Varchar(length=360, null=False, default="")
    starts_on = Date(null=False)
    ends_on = Date(null=False)
    usual_duration_minutes = Integer(default=90, null=False)
    # Self-assessments are due at the start, every N weeks, at the end and 6 months after.
    assessment_interval_weeks = Integer(default=4, null=False)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(null=False)


class GroupCoach(Table, tablename="group_coach"):
    group = ForeignKey(CoachingGroup, null=False, on_delete=OnDelete.cascade, index=True)
    coach = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
