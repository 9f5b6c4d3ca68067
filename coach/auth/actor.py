"""Who is making a request: the signed-in staff member or participant."""

from __future__ import annotations

from dataclasses import dataclass

STAFF_ROLES = ("admin", "coach", "evaluator")
PARTICIPANT = "participant"


@dataclass(frozen=True)
class Actor:
    """The signed-in person of one request, as request.user.

    In "fill in together" mode a coach's session acts as the participant: role is
    "participant", participant_id is the person answering, user_id stays the coach
    (so that an assessment can record who held the phone) and together is True.
    """

    role: str  # "admin", "coach", "evaluator" or "participant"
    user_id: int | None
    participant_id: int | None
    username: str
    label: str
    language: str
    session_id: int
    together: bool = False
    must_change_password: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def audit_label(self) -> str:
        """Return how the audit log names this actor."""
        if self.together:
            return f"{self.username} (together: participant:{self.participant_id})"[:80]
        if self.role == PARTICIPANT:
            return f"participant:{self.participant_id}"
        return self.username
