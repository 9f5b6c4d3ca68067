"""Erasure, hardened: races end in 404 or 409, "unlink" leaves no path back to the person,
ids are never reused, and the admin sees the meeting notes that still name the person."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace

import aiosqlite
import httpx
import pytest
from litestar.middleware.csrf import generate_csrf_token

from coach.assessments.services import save_check
from coach.assessments.tables import Assessment
from coach.audit.log import now, record
from coach.audit.tables import AuditEvent
from coach.auth.protection import CSRF_COOKIE, CSRF_HEADER, csrf_config
from coach.auth.sessions import SESSION_COOKIE, create_session
from coach.choices import AssessmentMode
from coach.db import is_postgres
from coach.groups.tables import CoachingGroup
from coach.meetings.tables import Attendance, Meeting
from coach.participants import routes as participant_routes
from coach.participants.erasure import erase_participant, participant_links
from coach.participants.tables import KeptAttendance, Participant, StatusChange
from coach.reports import trends
from tests.coach_world import make_world
from tests.factories import make_group, make_participant, make_user

START = dt.date(2025, 3, 10)  # a group month runs from the 10th to the 9th
WHO5 = {"cheerful": 2, "calm": 3, "active": 1, "rested": 2, "interest": 3}



def with_mode(app, mode: str) -> None:
    app.state["settings"] = replace(app.state["settings"], erasure_mode=mode)


@pytest.fixture
async def racer(app, client):
    """Give signed-in clients that run requests in this event loop, really at once.

    Litestar's test client hands each request to a portal thread and waits for it, so
    two of its requests never overlap; httpx's ASGI transport lets them interleave.
    (`client` has run the app's start-up.)
    """
    clients: list[httpx.AsyncClient] = []

    async def signed_in(user) -> httpx.AsyncClient:
        settings = app.state["settings"]
        raw, _session_id = await create_session(settings, user_id=user.id)
        token = generate_csrf_token(csrf_config(settings).secret)
        racing = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver.local",
            headers={CSRF_HEADER: token, "accept-language": "en"},
        )
        racing.cookies.set(SESSION_COOKIE, raw)
        racing.cookies.set(CSRF_COOKIE, token)
        clients.append(racing)
        return racing

    yield signed_in
    for racing in clients:
        await racing.aclose()


async def withdrawn(group, name: str = "Zelmira", **fields) -> Participant:
    person = await make_participant(group, name, **fields)
    await Participant.update({Participant.consent_withdrawn_on: dt.date.today()}).where(
        Participant.id == person.id
    )
    return person


def detail_of(event) -> dict:
    detail = event["detail"] if isinstance(event, dict) else event.detail
    return json.loads(detail) if isinstance(detail, str) else detail


async def anonymous_copies() -> list[dict]:
    return await (Participant.select().where(Participant.erased_at.is_not_null())
                  .order_by(Participant.id))


# --- 10. An erasure racing another write -------------------------------------------------


def news_form() -> dict[str, str]:
    return {"status": "employed_part_time", "effective_on": dt.date.today().isoformat()}


def leave_form() -> dict[str, str]:
    return {"exited_on": dt.date.today().isoformat(), "exit_reason": "Moved away"}


async def erase_now(person_id: int, mode: str) -> None:
    await erase_participant(person_id, mode, actor_user_id=None, actor_label="admin")


def erase_after_lookup(monkeypatch, mode: str) -> None:
    """Erase the person right after a coach's page has looked them up: the worst moment."""
    real = participant_routes.find

    async def found_then_erased(request, participant_id):
        participant, group = await real(request, participant_id)
        await erase_now(participant.id, mode)
        return participant, group

    monkeypatch.setattr(participant_routes, "find", found_then_erased)


async def _rows_linked_to(participant_id: int) -> int:
    total = await Participant.count().where(Participant.id == participant_id)
    for table, column in participant_links():
        total += await table.count().where(column == participant_id)
    return total


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_news_for_a_person_erased_meanwhile_is_refused_with_409(racer, monkeypatch, mode):
    w = await make_world()
    person = await withdrawn(w.group)
    erase_after_lookup(monkeypatch, mode)
    coach = await racer(w.coach)
    response = await coach.post(f"/participants/{person.id}/news", data=news_form())
    assert response.status_code == 409
    assert "removed" in response.text
    assert await _rows_linked_to(person.id) == 0
    assert await AuditEvent.count().where(AuditEvent.action == "participant.news") == 0
    if mode == "unlink":
        [copy] = await anonymous_copies()
        assert await StatusChange.count().where(StatusChange.participant == copy["id"]) == 1


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_marking_left_a_person_erased_meanwhile_is_404(racer, monkeypatch, mode):
    w = await make_world()
    person = await withdrawn(w.group)
    erase_after_lookup(monkeypatch, mode)
    coach = await racer(w.coach)
    response = await coach.post(f"/participants/{person.id}/leave", data=leave_form())
    assert response.status_code == 404
    assert await AuditEvent.count().where(AuditEvent.action == "participant.leave") == 0
    assert all(copy["exited_on"] is None for copy in await anonymous_copies())


async def test_an_erased_person_is_404_for_the_coach(racer):
    w = await make_world()
    person = await withdrawn(w.group)
    await erase_now(person.id, "unlink")
    coach = await racer(w.coach)
    assert (await coach.post(f"/participants/{person.id}/leave",
                             data=leave_form())).status_code == 404
    assert (await coach.post(f"/participants/{person.id}/news",
                             data=news_form())).status_code == 404
    assert (await coach.get(f"/participants/{person.id}/leave")).status_code == 404


ROUNDS = 16


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_erasure_and_writes_at_the_same_moment_end_in_404_or_409_and_agree(
        app, racer, mode):
    """Erase while the coach records news or marks the person as left, many times over.

    The request that loses gets 404 or 409 (never 500); one that wins really happened
    before the erasure, so an "unlink" copy holds what it wrote.
    """
    with_mode(app, mode)
    w = await make_world()
    admin = await racer(w.admin)
    coach = await racer(w.coach)
    outcomes = set()
    for round_number in range(ROUNDS):
        kind = ("news", "leave")[round_number % 2]
        if kind == "news":
            # News for a withdrawn person is refused before any race; one who never gave
            # consent may be erased too and still gets news, so these rounds race.
            person = await make_participant(w.group, f"P{round_number}", consent=False)
        else:
            person = await withdrawn(w.group, f"P{round_number}")
        form = news_form() if kind == "news" else leave_form()
        write = coach.post(f"/participants/{person.id}/{kind}", data=form)
        erase = admin.post(f"/admin/participants/{person.id}/erase")
        if round_number % 4 < 2:  # either may start first
            erased, written = await asyncio.gather(erase, write)
        else:
            written, erased = await asyncio.gather(write, erase)
        assert erased.status_code == 303, erased.text
        assert written.status_code in (303, 404, 409), written.text
        outcomes.add(written.status_code)
        if kind == "news":
            # Lost to the erasure, not refused for consent (which would race nothing).
            assert "withdrawn" not in written.text.lower(), written.text
        assert await _rows_linked_to(person.id) == 0
        if mode == "unlink":
            copy = (await anonymous_copies())[-1]
            kept_news = await StatusChange.count().where(StatusChange.participant == copy["id"])
            if kind == "news":
                assert kept_news == (2 if written.status_code == 303 else 1)
            else:
                assert (copy["exited_on"] is not None) == (written.status_code == 303)
        event = await AuditEvent.objects().where(
            (AuditEvent.action == "participant.erase") & (AuditEvent.target_id == person.id)
        ).first()
        if mode == "delete" and kind == "news":
            assert detail_of(event)["deleted"]["labour_status"] == (
                2 if written.status_code == 303 else 1)
        later = await AuditEvent.count().where(
            (AuditEvent.target_id == person.id) & (AuditEvent.id > event.id)
            & AuditEvent.action.is_in(["participant.news", "participant.leave"]))
        assert later == 0, "a write claimed success after the erasure"
    assert outcomes - {303}, "no round raced: the test would prove nothing"
    assert len(await anonymous_copies()) == (ROUNDS if mode == "unlink" else 0)


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_two_erasures_at_the_same_moment_make_one(app, racer, mode):
    with_mode(app, mode)
    w = await make_world()
    first, second = await racer(w.admin), await racer(w.admin)
    for round_number in range(6):
        person = await withdrawn(w.group, f"P{round_number}")
        responses = await asyncio.gather(
            first.post(f"/admin/participants/{person.id}/erase"),
            second.post(f"/admin/participants/{person.id}/erase"))
        assert sorted(r.status_code for r in responses) == [303, 404]
        assert await AuditEvent.count().where(
            (AuditEvent.action == "participant.erase") & (AuditEvent.target_id == person.id)
        ) == 1
    assert len(await anonymous_copies()) == (6 if mode == "unlink" else 0)


# --- 12. "Unlink" leaves no path from the person to what it keeps ------------------------

# What an audit event's target type and detail keys name, as (table, id).
TARGET_TABLES = {"participant": "participant", "meeting": "meeting", "group": "coaching_group",
                 "user": "app_user"}
DETAIL_TABLES = {"participant": "participant", "assessment": "assessment",
                 "assessments": "assessment",
                 "status_change": "labour_status", "meeting": "meeting",
                 "group": "coaching_group"}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The person's dates a coach may remember (days after START): enrolled, came to meetings,
# did a check, got a job, left.
REMEMBERED = (3, 7, 14, 17, 35, 41, 56, 71)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


async def _year_then_unlink(app, racer):
    """Live a person's months through the coach's pages and the log; then erase ("unlink")."""
    coach = await make_user("coach1")
    admin = await make_user("admin1", role="admin")
    group = await make_group(coaches=[coach], starts_on=START)
    other = await make_participant(group, "Bertta", birth_year=1990)
    person = await make_participant(group, "Zelmira", birth_year=1983, enrolled_on=day(3),
                                    consent_recorded_by=coach.id)
    meetings = []
    for offset in (7, 14, 35):
        meeting = Meeting(group=group.id, held_on=day(offset), duration_minutes=90,
                          themes=["sleep"], private_note="", created_by=coach.id,
                          created_at=now(), updated_at=now())
        await meeting.save()
        for who in (person, other):
            await Attendance(meeting=meeting.id, participant=who.id, present=False).save()
        meetings.append(meeting)
    by_coach = await racer(coach)
    for meeting in (meetings[0], meetings[2]):
        response = await by_coach.post(f"/meetings/{meeting.id}/attendance", data={
            "participant": str(person.id), "present": [str(person.id)]})
        assert response.status_code == 303
    response = await by_coach.post(f"/participants/{person.id}/news", data={
        "status": "employed_part_time", "effective_on": day(41).isoformat()})
    assert response.status_code == 303
    for offset in (17, 56):
        rows = await save_check(person.id, {"who5": WHO5, "was": {"current": 6}},
                                mode=AssessmentMode.invite, taken_on=day(offset))
        # As the participant's own page audits a check.
        await record("assessment.create", actor_label=f"participant:{person.id}",
                     target_type="participant", target_id=person.id,
                     detail={"assessments": [row.id for row in rows], "mode": "invite"})
    response = await by_coach.post(f"/participants/{person.id}/leave", data={
        "exited_on": day(71).isoformat(), "exit_reason": "Moved to Kuopio"})
    assert response.status_code == 303
    await Participant.update({Participant.consent_withdrawn_on: dt.date.today()}).where(
        Participant.id == person.id)
    with_mode(app, "unlink")
    response = await (await racer(admin)).post(f"/admin/participants/{person.id}/erase")
    assert response.status_code == 303
    [copy] = await anonymous_copies()
    return person, copy, group, other


def _days_in(value) -> set[tuple[str, object]]:
    if isinstance(value, dt.datetime):
        return {("day", value.date())}
    if isinstance(value, dt.date):
        return {("day", value)}
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        return {("day", dt.date.fromisoformat(value))}
    return set()


async def _facts_the_log_ties_to(person_id: int) -> set[tuple[str, object]]:
    """Return the rows and days that audit events about the person name."""
    facts: set[tuple[str, object]] = set()
    for event in await AuditEvent.select():
        detail = detail_of(event)
        about = (event["target_type"] == "participant" and event["target_id"] == person_id
                 or detail.get("participant") == person_id
                 or person_id in detail.get("present", []))
        if not about:
            continue
        facts |= _days_in(event["occurred_at"])
        if event["target_type"] in TARGET_TABLES and event["target_id"] is not None:
            facts.add((TARGET_TABLES[event["target_type"]], event["target_id"]))
        for key, value in detail.items():
            for item in value if isinstance(value, list) else [value]:
                facts |= _days_in(item)
                if key in DETAIL_TABLES and isinstance(item, int):
                    facts.add((DETAIL_TABLES[key], item))
    return facts


async def _facts_of(copy_id: int) -> set[tuple[str, object]]:
    """Return the copy's rows in every table, the rows they refer to, and their days.

    The group is left out: the copy stays in its group on purpose (it is counted there).
    """
    rows = [(Participant, row) for row in await Participant.select().where(
        Participant.id == copy_id)]
    for table, column in participant_links():
        rows += [(table, row) for row in await table.select().where(column == copy_id)]
    facts: set[tuple[str, object]] = set()
    for table, row in rows:
        facts.add((table._meta.tablename, row["id"]))
        for value in row.values():
            facts |= _days_in(value)
        for column in table._meta.foreign_key_columns:
            target = column._foreign_key_meta.resolved_references
            value = row[column._meta.name]
            if target is not CoachingGroup and value is not None:
                facts.add((target._meta.tablename, value))
                if target is Meeting:
                    meeting = await Meeting.objects().get(Meeting.id == value)
                    facts |= _days_in(meeting.held_on)
    return facts


async def test_unlink_leaves_no_path_from_the_person_to_the_kept_rows(app, racer):
    person, copy, group, other = await _year_then_unlink(app, racer)
    about_person = await _facts_the_log_ties_to(person.id)
    about_person |= {("day", day(offset)) for offset in REMEMBERED}
    assert ("participant", person.id) in about_person  # the search bites
    of_copy = await _facts_of(copy["id"])
    assert ("participant", copy["id"]) in of_copy and len(of_copy) > 5
    assert about_person & of_copy == set()
    # Nothing in the log names the copy either.
    for event in await AuditEvent.select():
        assert not (event["target_type"] == "participant" and event["target_id"] == copy["id"])
        assert detail_of(event).get("participant") != copy["id"]


async def test_unlink_keeps_months_of_the_group_and_attendance_counts(app, racer):
    person, copy, group, other = await _year_then_unlink(app, racer)
    month_starts = {0: START, 1: dt.date(2025, 4, 10), 2: dt.date(2025, 5, 10)}
    assert (copy["enrolled_on"], copy["exited_on"]) == (month_starts[0], month_starts[2])
    midnight = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
    assert copy["erased_at"] == midnight and copy["created_at"] == midnight
    kept = await Assessment.select().where(Assessment.participant == copy["id"])
    assert sorted({row["taken_on"] for row in kept}) == [month_starts[0], month_starts[1]]
    assert {row["completed_at"].time() for row in kept} == {dt.time(0, 0)}
    history = await StatusChange.select().where(StatusChange.participant == copy["id"])
    assert sorted(row["effective_on"] for row in history) == [month_starts[0], month_starts[1]]
    # Attendance is kept as counts per month of the group, not per meeting.
    assert await Attendance.count().where(Attendance.participant == copy["id"]) == 0
    counts = await KeptAttendance.select(
        KeptAttendance.month, KeptAttendance.meetings, KeptAttendance.present
    ).where(KeptAttendance.participant == copy["id"]).order_by(KeptAttendance.month)
    assert counts == [{"month": 0, "meetings": 2, "present": 1},
                      {"month": 1, "meetings": 1, "present": 1}]
    # The evaluators' attendance figures still count the kept attendance.
    by_month = await trends.attendance_by_month(dt.date.today())
    assert by_month[(group.id, 0)] == trends.AttendanceSums(people=2, expected=4, present=1)
    assert by_month[(group.id, 1)] == trends.AttendanceSums(people=2, expected=2, present=1)
    overall = await trends.attendance_overall(dt.date.today())
    assert overall[(group.id,)] == trends.AttendanceSums(people=2, expected=6, present=2)


async def test_unlink_takes_kept_row_ids_out_of_the_persons_audit_events(app, racer):
    person, copy, group, other = await _year_then_unlink(app, racer)
    events = await AuditEvent.select().where(
        (AuditEvent.target_type == "participant") & (AuditEvent.target_id == person.id))
    details = {event["action"]: detail_of(event) for event in events}
    assert details["participant.news"] == {"status": "employed_part_time",
                                           "effective_on": day(41).isoformat()}
    assert details["assessment.create"] == {"mode": "invite"}
    # The erase event says what was deleted, not how many rows the copy holds.
    assert details["participant.erase"]["mode"] == "unlink"
    assert "kept" not in details["participant.erase"]


# --- 13. Ids are never given again --------------------------------------------------------


@pytest.mark.parametrize("mode", ["delete", "unlink"])
async def test_the_newest_participant_erased_leaves_its_id_unused(mode):
    group = await make_group()
    await make_participant(group, "Anna")
    newest = await withdrawn(group, "Zelmira")
    await record("participant.view", actor_label="coach", target_type="participant",
                 target_id=newest.id)
    await erase_now(newest.id, mode)
    taken = {row["id"] for row in await Participant.select(Participant.id)} | {newest.id}
    later = await make_participant(group, "Bertta")
    assert later.id > max(taken)
    # The erased person's events stay theirs alone.
    assert await AuditEvent.count().where(AuditEvent.target_id == later.id) == 0


async def test_the_newest_meeting_and_news_deleted_leave_their_ids_unused():
    group = await make_group()
    person = await make_participant(group)
    news = StatusChange(participant=person.id, status="employed_full_time",
                        effective_on=group.starts_on, recorded_at=now())
    await news.save()
    await StatusChange.delete().where(StatusChange.id == news.id)
    again = StatusChange(participant=person.id, status="employed_full_time",
                         effective_on=group.starts_on, recorded_at=now())
    await again.save()
    assert again.id > news.id
    first = Meeting(group=group.id, held_on=group.starts_on, duration_minutes=60, themes=[],
                    created_at=now(), updated_at=now())
    await first.save()
    await Meeting.delete().where(Meeting.id == first.id)
    second = Meeting(group=group.id, held_on=group.starts_on, duration_minutes=60, themes=[],
                     created_at=now(), updated_at=now())
    await second.save()
    assert second.id > first.id


# Every table of the app when ids were fixed; kept_attendance's ids are never shown or logged.
AUDITED_TABLES = ("participant", "app_user", "coaching_group", "group_coach", "meeting",
                  "labour_status", "attendance", "assessment", "audit_event", "web_session",
                  "invite", "throttle_event", "api_token", "project_setting", "report_snapshot")


def migrated_sqlite_file(folder) -> sqlite3.Connection:
    """Migrate a fresh SQLite database of its own, whatever engine this run tests."""
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    environment["COACH_DATA_DIR"] = str(folder)
    subprocess.run([sys.executable, "-m", "coach.cli", "migrate"], env=environment,
                   check=True, capture_output=True, timeout=300)
    return sqlite3.connect(folder / "coach.sqlite3")


async def test_every_table_the_audit_log_names_takes_ids_that_never_go_back(tmp_path):
    with closing(migrated_sqlite_file(tmp_path)) as database:
        definitions = dict(database.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    for name in AUDITED_TABLES:
        assert "AUTOINCREMENT" in definitions[name], name
    if is_postgres(Participant):  # and on this run's PostgreSQL: each id comes from a sequence
        for name in AUDITED_TABLES:
            [row] = await Participant.raw(
                "SELECT pg_get_serial_sequence({}, 'id') AS sequence", name)
            assert row["sequence"], name


async def test_after_the_upgrade_ids_the_log_names_are_not_given_again(tmp_path):
    # A participant deleted before the upgrade may have been the newest: the log remembers.
    from migrations.coach_2026_12_01t08_20_00_000000 import start_after_logged_ids

    with closing(migrated_sqlite_file(tmp_path)) as database:
        database.execute(
            "INSERT INTO audit_event (occurred_at, actor_label, action, target_type, target_id,"
            " detail, ip) VALUES ('2026-01-01 00:00:00+00:00', 'admin', 'participant.erase',"
            " 'participant', 40, '{}', '')")
        database.execute("DELETE FROM sqlite_sequence")
        database.commit()
    async with aiosqlite.connect(tmp_path / "coach.sqlite3") as connection:
        connection.row_factory = lambda cursor, row: {
            column[0]: value for column, value in zip(cursor.description, row, strict=True)}
        await start_after_logged_ids(connection)
        await connection.commit()
    with closing(sqlite3.connect(tmp_path / "coach.sqlite3")) as database:
        seq = dict(database.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    assert seq["participant"] == 40  # the next participant gets 41


# --- 14. Meeting notes that still name the person ------------------------------------------


async def test_erase_page_lists_the_notes_that_name_the_person(racer):
    coach = await make_user("coach1")
    admin = await make_user("admin1", role="admin")
    group = await make_group(coaches=[coach])
    other_group = await make_group("Ryhmä B")
    person = await withdrawn(group, "Eeva-Liisa Ek")
    notes = {
        "named": "Puhuttiin Eeva-Liisan kanssa työnhausta.",
        "part": "LIISA tuli myöhässä, muuten hyvä.",
        "full": "Eeva-Liisa Ek kertoi uutisia.",
        "inside": "Keeva ja Ekku kävivät kävelyllä.",  # "eeva" only inside a word; "ek" too short
        "empty": "",
    }
    meetings = {}
    for offset, (key, note) in enumerate(notes.items()):
        meetings[key] = Meeting(group=group.id, held_on=group.starts_on + dt.timedelta(days=offset),
                                duration_minutes=60, themes=[], private_note=note,
                                created_at=now(), updated_at=now())
        await meetings[key].save()
    elsewhere = Meeting(group=other_group.id, held_on=other_group.starts_on, duration_minutes=60,
                        themes=[], private_note="Eeva-Liisa", created_at=now(), updated_at=now())
    await elsewhere.save()

    page = await (await racer(admin)).get(f"/admin/participants/{person.id}/erase")
    assert page.status_code == 200
    listed = set(re.findall(r'href="/meetings/(\d+)/edit"', page.text))
    assert listed == {str(meetings[key].id) for key in ("named", "part", "full")}
    assert "Eeva-Liisan kanssa" in page.text
    assert "longer than two letters" in page.text
    # The rule itself: the whole name and each part of three letters or more.
    from coach.participants.erasure import name_terms, names_in

    assert name_terms("Eeva-Liisa Ek") == ["eeva-liisa ek", "eeva", "liisa"]
    assert names_in("Kävin EEVAN kanssa", ["eeva"]) and not names_in("Keeva", ["eeva"])


async def test_erase_page_says_when_no_note_names_the_person(racer):
    admin = await make_user("admin1", role="admin")
    group = await make_group()
    person = await withdrawn(group, "Zelmira")
    page = await (await racer(admin)).get(f"/admin/participants/{person.id}/erase")
    assert page.status_code == 200
    assert "No meeting note of the group mentions this name." in page.text
