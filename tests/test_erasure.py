"""Erasing a participant who withdrew consent: nothing identifying may remain."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from coach import piccolo_app
from coach.assessments.services import save_check
from coach.assessments.tables import Assessment
from coach.audit.log import forget_detail_keys, now, record
from coach.audit.tables import AuditEvent
from coach.auth.tables import Invite, WebSession
from coach.choices import AssessmentMode
from coach.groups.tables import GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.participants.erasure import (
    KEPT_ROW_KEYS,
    ErasureRefused,
    coarse,
    erase_participant,
    group_month_start,
    months_since,
    participant_links,
)
from coach.participants.tables import KeptAttendance, Participant, StatusChange
from coach.settings import SettingsError, load_settings
from tests.auth_helpers import login_as, login_participant
from tests.factories import make_group, make_participant, make_user

NAME = "Zelmira"
EXIT_REASON = "Moved to Kuopio to live with her sister Zelmira-Liisa"
BIRTH_YEAR = 1983
TOKEN_HASH = "f" * 64
START = dt.date(2026, 1, 13)
WHO5 = {"cheerful": 2, "calm": 3, "active": 1, "rested": 2, "interest": 3}


async def _person_with_everything():
    coach = await make_user("coach1")
    group = await make_group(coaches=[coach], starts_on=START)
    person = await make_participant(
        group,
        NAME,
        birth_year=BIRTH_YEAR,
        exited_on=START + dt.timedelta(days=40),
        exit_reason=EXIT_REASON,
        consent_recorded_by=coach.id,
    )
    other = await make_participant(group, "Bertta", birth_year=1990)
    for who in (person, other):
        await save_check(
            who.id,
            {"who5": WHO5, "was": {"current": 6}},
            mode=AssessmentMode.together,
            recorded_by=coach.id,
            taken_on=START + dt.timedelta(days=16),
        )
    await StatusChange(
        participant=person.id,
        status="employed_part_time",
        effective_on=START + dt.timedelta(days=38),
        recorded_by=coach.id,
        recorded_at=now(),
    ).save()
    meeting = Meeting(
        group=group.id,
        held_on=START + dt.timedelta(days=2),
        duration_minutes=90,
        themes=["sleep"],
        private_note="",
        created_by=coach.id,
        created_at=now(),
        updated_at=now(),
    )
    await meeting.save()
    for who in (person, other):
        await Attendance(meeting=meeting.id, participant=who.id, present=True).save()
    await Invite(
        participant=person.id,
        token_hash=TOKEN_HASH,
        created_by=coach.id,
        created_at=now(),
        expires_at=now() + dt.timedelta(days=14),
    ).save()
    await WebSession(
        token_hash="e" * 64,
        participant=person.id,
        data={"lang": "fi"},
        created_at=now(),
        last_seen_at=now(),
        expires_at=now() + dt.timedelta(days=1),
    ).save()
    await Participant.update({Participant.consent_withdrawn_on: dt.date.today()}).where(
        Participant.id == person.id
    )
    return coach, group, person, other


async def _dump() -> str:
    """Return every value of every table as text."""
    parts = []
    for table in piccolo_app.TABLES:
        for row in await table.select():
            parts.append(f"{table._meta.tablename}: {row!r}")
    return "\n".join(parts)


async def _rows_linked_to(participant_id: int) -> int:
    total = 0
    for table, column in participant_links():
        total += await table.count().where(column == participant_id)
    return total


async def _erase(person, mode, coach):
    return await erase_participant(
        person.id, mode, actor_user_id=coach.id, actor_label="admin1", ip="10.0.0.9"
    )


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_nothing_identifying_remains(mode):
    coach, group, person, other = await _person_with_everything()
    before = await _dump()
    assert NAME in before and EXIT_REASON in before and TOKEN_HASH in before  # the test bites

    await _erase(person, mode, coach)

    after = await _dump()
    assert NAME not in after
    assert EXIT_REASON not in after
    assert TOKEN_HASH not in after
    assert await Participant.count().where(Participant.id == person.id) == 0
    assert await _rows_linked_to(person.id) == 0
    assert await WebSession.count() == 0 and await Invite.count() == 0
    remaining_years = {row["birth_year"] for row in await Participant.select()}
    assert BIRTH_YEAR not in remaining_years
    # The other participant is untouched.
    assert await Assessment.count().where(Assessment.participant == other.id) == 2
    assert await Attendance.count().where(Attendance.participant == other.id) == 1


async def test_delete_mode_removes_every_row():
    coach, group, person, other = await _person_with_everything()
    result = await _erase(person, "delete", coach)
    assert result.kept == {}
    assert result.deleted == {
        "labour_status": 2,
        "attendance": 1,
        "assessment": 2,
        "web_session": 1,
        "invite": 1,
    }
    assert await Participant.count() == 1
    assert await Assessment.count() == 2


async def test_unlink_mode_keeps_coarse_rows_under_a_new_anonymous_record():
    coach, group, person, other = await _person_with_everything()
    result = await _erase(person, "unlink", coach)
    assert result.kept == {"labour_status": 2, "attendance": 1, "assessment": 2}
    assert result.deleted == {"web_session": 1, "invite": 1}

    anonymous = await Participant.objects().where(Participant.id.not_in([other.id])).first()
    assert anonymous.id != person.id
    assert anonymous.display_name == "" and anonymous.exit_reason is None
    assert anonymous.birth_year == 1980
    # Dates become the start of the group's month they fall in (the group starts on the 13th).
    assert anonymous.enrolled_on == START
    assert anonymous.exited_on == dt.date(2026, 2, 13)
    assert anonymous.consent_given_on is None and anonymous.consent_recorded_by is None
    assert anonymous.erased_at is not None
    assert (anonymous.gender, anonymous.education) == (person.gender, person.education)

    kept = await Assessment.select().where(Assessment.participant == anonymous.id)
    assert sorted((row["instrument"], row["score"]) for row in kept) == [
        ("was", 6.0),
        ("who5", 44.0),
    ]
    assert {row["taken_on"] for row in kept} == {START}
    assert {row["recorded_by"] for row in kept} == {None}
    history = await StatusChange.select().where(StatusChange.participant == anonymous.id)
    assert {row["effective_on"].day for row in history} == {13}
    assert {row["recorded_by"] for row in history} == {None}
    # Attendance is kept as counts per month of the group, without the meetings' dates.
    assert await Attendance.count().where(Attendance.participant == anonymous.id) == 0
    assert await KeptAttendance.select(
        KeptAttendance.month, KeptAttendance.meetings, KeptAttendance.present
    ).where(KeptAttendance.participant == anonymous.id) == [
        {"month": 0, "meetings": 1, "present": 1}
    ]
    # No audit event points at the new record.
    assert await AuditEvent.count().where(AuditEvent.target_id == anonymous.id) == 0


async def test_the_kept_rows_ids_leave_every_event_of_the_person_in_one_update(statements):
    mine = [
        {"assessments": [4, 5], "mode": "invite"},
        {"zeta": 1, "status_change": 9, "alpha": None, "assessment": 7},
        {"assessment": None},  # the key goes, whatever its value
        {"status": "employed", "note": {"assessment": 3}},  # only keys at the top
        {},
    ]
    for detail in mine:
        await record("x.mine", target_type="participant", target_id=41, detail=detail)
    others = [("participant", 42, {"assessment": 1, "mode": "invite"}),
              ("meeting", 41, {"assessments": [2], "status_change": 3})]
    for target_type, target_id, detail in others:
        await record("x.other", target_type=target_type, target_id=target_id, detail=detail)
    await AuditEvent.insert(AuditEvent(occurred_at=now(), action="x.mine",
                                       target_type="participant", target_id=41,
                                       detail=["assessment", "status_change"]))
    statements.clear()
    await forget_detail_keys("participant", 41, KEPT_ROW_KEYS)
    assert [sql.split()[0].upper() for sql in statements] == ["UPDATE"]
    rows = await (AuditEvent.select(AuditEvent.action, AuditEvent.detail)
                  .order_by(AuditEvent.id).output(load_json=True))
    # As lists of pairs, so that the order of the keys left counts too.
    assert [list(row["detail"].items()) if isinstance(row["detail"], dict) else row["detail"]
            for row in rows] == [
        [("mode", "invite")],
        [("zeta", 1), ("alpha", None)],
        [],
        [("status", "employed"), ("note", {"assessment": 3})],
        [],
        [("assessment", 1), ("mode", "invite")],
        [("assessments", [2]), ("status_change", 3)],
        ["assessment", "status_change"],  # not an object: nothing to take out of it
    ]


def test_a_group_month_after_a_short_month_starts_on_the_1st():
    assert group_month_start(dt.date(2026, 1, 31), 1) == dt.date(2026, 3, 1)
    assert group_month_start(dt.date(2026, 1, 31), 2) == dt.date(2026, 3, 31)
    assert group_month_start(dt.date(2028, 1, 30), 1) == dt.date(2028, 3, 1)
    assert group_month_start(dt.date(2028, 1, 29), 1) == dt.date(2028, 2, 29)
    assert group_month_start(dt.date(2026, 5, 13), -5) == dt.date(2025, 12, 13)


@pytest.mark.parametrize("start", [dt.date(2026, 1, 31), dt.date(2027, 1, 29),
                                   dt.date(2026, 3, 30), dt.date(2026, 5, 13)])
def test_a_kept_date_is_the_first_day_of_its_group_month(start):
    # Day by day over two years: short months and a leap day among them.
    for offset in range(-40, 2 * 366):
        day = start + dt.timedelta(days=offset)
        kept = coarse(day, start)
        assert kept <= day and months_since(kept, start) == months_since(day, start)
        assert months_since(kept - dt.timedelta(days=1), start) == months_since(day, start) - 1


async def test_erasure_is_audited():
    coach, group, person, other = await _person_with_everything()
    await _erase(person, "delete", coach)
    event = await AuditEvent.objects().where(AuditEvent.action == "participant.erase").first()
    assert event.target_type == "participant" and event.target_id == person.id
    assert event.actor_user_id == coach.id and event.actor_label == "admin1"
    detail = json.loads(event.detail) if isinstance(event.detail, str) else event.detail
    assert detail["mode"] == "delete" and detail["deleted"]["assessment"] == 2


async def test_erasure_is_refused_while_consent_is_valid():
    group = await make_group()
    person = await make_participant(group)
    with pytest.raises(ErasureRefused):
        await erase_participant(person.id, "delete", actor_user_id=None, actor_label="cli")
    assert await Participant.count() == 1
    assert await AuditEvent.count().where(AuditEvent.action == "participant.erase") == 0


async def test_erasing_twice_is_refused():
    coach, group, person, other = await _person_with_everything()
    await _erase(person, "delete", coach)
    with pytest.raises(ErasureRefused):
        await _erase(person, "delete", coach)


async def test_participant_without_any_consent_may_be_erased():
    group = await make_group()
    person = await make_participant(group, consent=False)
    await erase_participant(person.id, "delete", actor_user_id=None, actor_label="cli")
    assert await Participant.count() == 0


def test_erasure_mode_setting(monkeypatch):
    monkeypatch.delenv("COACH_ERASURE_MODE", raising=False)
    assert load_settings().erasure_mode == "delete"
    monkeypatch.setenv("COACH_ERASURE_MODE", "unlink")
    assert load_settings().erasure_mode == "unlink"
    monkeypatch.setenv("COACH_ERASURE_MODE", "shred")
    with pytest.raises(SettingsError, match="COACH_ERASURE_MODE"):
        load_settings()


# --- the admin's page --------------------------------------------------------------------


async def test_admin_erases_through_the_page(client):
    coach, group, person, other = await _person_with_everything()
    admin = await make_user("admin1", role="admin")
    await login_as(client, admin)
    client.headers["Accept-Language"] = "en"
    page = await client.get(f"/admin/participants/{person.id}/erase")
    assert page.status_code == 200 and "Erase for good" in page.text
    response = await client.post(f"/admin/participants/{person.id}/erase", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/groups/{group.id}"
    assert await Participant.count().where(Participant.id == person.id) == 0
    event = await AuditEvent.objects().where(AuditEvent.action == "participant.erase").first()
    assert event.actor_user_id == admin.id and event.actor_label == "admin1"
    assert NAME not in await _dump()


async def test_page_follows_the_mode_setting(client):
    coach, group, person, other = await _person_with_everything()
    admin = await make_user("admin1", role="admin")
    await login_as(client, admin)
    client.headers["Accept-Language"] = "en"
    client.app.state["settings"] = replace(client.app.state["settings"], erasure_mode="unlink")
    await client.post(f"/admin/participants/{person.id}/erase")
    assert await Assessment.count() == 4  # kept, unlinked
    assert await Participant.count() == 2  # the other and the anonymous record


async def test_admin_cannot_erase_while_consent_is_valid(client):
    admin = await make_user("admin1", role="admin")
    person = await make_participant(await make_group())
    await login_as(client, admin)
    response = await client.post(f"/admin/participants/{person.id}/erase", follow_redirects=False)
    assert response.status_code == 303
    assert await Participant.count() == 1


@pytest.mark.parametrize("role", ["coach", "evaluator"])
async def test_only_admins_may_erase(client, role):
    coach, group, person, other = await _person_with_everything()
    user = await make_user("someone", role=role)
    if role == "coach":
        await GroupCoach(group=group.id, coach=user.id).save()  # even the person's own coach
    await login_as(client, user)
    assert (await client.get(f"/admin/participants/{person.id}/erase")).status_code == 403
    assert (await client.post(f"/admin/participants/{person.id}/erase")).status_code == 403
    assert await Participant.count().where(Participant.id == person.id) == 1


async def test_participant_cannot_erase_and_stranger_is_sent_to_login(client):
    coach, group, person, other = await _person_with_everything()
    response = await client.get(f"/admin/participants/{person.id}/erase", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await login_participant(client, other)
    assert (await client.post(f"/admin/participants/{person.id}/erase")).status_code == 403
    assert await Participant.count().where(Participant.id == person.id) == 1


async def test_unknown_participant_is_404_and_wrong_method_405(client):
    admin = await make_user("admin1", role="admin")
    await login_as(client, admin)
    assert (await client.get("/admin/participants/999/erase")).status_code == 404
    assert (await client.put("/admin/participants/999/erase")).status_code == 405
