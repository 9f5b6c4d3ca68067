"""The one Piccolo app: every table of every feature, migrations at the top level."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from coach.accounts.tables import User
from coach.assessments.tables import Assessment, CareFollowUp
from coach.audit.tables import AuditEvent
from coach.auth.tables import ApiToken, Invite, ThrottleEvent, WebSession
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.participant_portal.tables import CheckDraft
from coach.participants.tables import KeptAttendance, Participant, StatusChange
from coach.reports.tables import ProjectSetting, ReportSnapshot
from coach.submissions.tables import FormSubmission

# Ordered so that a table comes after the tables it refers to.
TABLES = [
    User,
    CoachingGroup,
    GroupCoach,
    Participant,
    StatusChange,
    Meeting,
    Attendance,
    KeptAttendance,
    Assessment,
    CareFollowUp,
    AuditEvent,
    WebSession,
    Invite,
    ThrottleEvent,
    ApiToken,
    CheckDraft,
    ProjectSetting,
    ReportSnapshot,
    FormSubmission,
]

APP_CONFIG = AppConfig(
    app_name="coach",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
