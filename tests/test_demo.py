"""`coach demo`: the demo data set, its determinism, its users and its refusals."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from statistics import mean

import pytest

from coach import piccolo_app
from coach.accounts.passwords import verify_password
from coach.accounts.tables import User
from coach.assessments.instruments import get_instrument
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.choices import EMPLOYED_STATUSES, LabourStatus, Theme
from coach.demo import DemoRefused, create_demo
from coach.demo_data import INSTRUMENTS, is_holiday
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.participants.tables import Participant, StatusChange
from tests.factories import make_participant, make_user

TODAY = dt.date(2026, 3, 18)


async def final_statuses() -> dict[int, str]:
    """Return each participant's latest labour-market status."""
    rows = await StatusChange.select().order_by(StatusChange.effective_on).order_by(
        StatusChange.id
    )
    return {row["participant"]: row["status"] for row in rows}


async def snapshot() -> dict[str, list[dict]]:
    """Return every table's rows with ids replaced by their position, hashes and clocks left out.

    Ids depend on what the database saw before; positions and everything else must not.
    """
    positions: dict[type, dict[int, int]] = {}
    tables: dict[str, list[dict]] = {}
    for table in piccolo_app.TABLES:
        rows = await table.select().order_by(table._meta.primary_key)
        positions[table] = {row["id"]: index for index, row in enumerate(rows)}
        references = {
            column._meta.name: column._foreign_key_meta.resolved_references
            for column in table._meta.foreign_key_columns
        }
        for row in rows:
            del row["id"]
            row.pop("password_hash", None)  # salted: differs on every run
            if table._meta.tablename == "audit_event":
                del row["occurred_at"]  # the real time the demo ran
            for name, target in references.items():
                if row[name] is not None:
                    row[name] = positions[target][row[name]]
        tables[table._meta.tablename] = rows
    return tables


async def empty_tables() -> None:
    for table in reversed(piccolo_app.TABLES):
        await table.delete(force=True)


async def test_default_demo_makes_two_groups_of_seven_with_four_users():
    await create_demo(seed=1, password="x", today=TODAY)

    groups = await CoachingGroup.select().order_by(CoachingGroup.starts_on)
    assert len(groups) == 2
    for group in groups:
        assert group["ends_on"] - group["starts_on"] >= dt.timedelta(weeks=51)
    participants = await Participant.select()
    assert len(participants) == 14
    sizes = defaultdict(int)
    for row in participants:
        sizes[row["group"]] += 1
    assert sorted(sizes.values()) == [7, 7]

    users = {row["username"]: row for row in await User.select()}
    assert set(users) == {"admin", "coach1", "coach2", "evaluator"}
    assert [users[name]["role"] for name in ("admin", "coach1", "coach2", "evaluator")] == [
        "admin", "coach", "coach", "evaluator"
    ]
    coaches = {row["group"]: row["coach"] for row in await GroupCoach.select()}
    assert coaches == {groups[0]["id"]: users["coach1"]["id"],
                       groups[1]["id"]: users["coach2"]["id"]}
    # The first group has finished, the second is running: the demo always looks current.
    assert groups[0]["ends_on"] < TODAY < groups[1]["ends_on"]


async def test_default_demo_has_half_in_work_by_the_end_from_status_at_entry():
    await create_demo(seed=1, password="x", today=TODAY)

    finals = await final_statuses()
    assert len(finals) == 14
    assert sum(status in EMPLOYED_STATUSES for status in finals.values()) == 7
    participants = await Participant.select()
    first = {}
    for row in await StatusChange.select().order_by(StatusChange.effective_on).order_by(
        StatusChange.id
    ):
        first.setdefault(row["participant"], row)
        assert row["status"] in {status.value for status in LabourStatus}
        assert row["effective_on"] < TODAY
    for person in participants:
        assert first[person["id"]]["status"] == person["status_at_entry"]
        assert first[person["id"]]["effective_on"] == person["enrolled_on"]
        assert person["status_at_entry"] not in EMPLOYED_STATUSES


async def test_default_demo_records_consent_for_everyone():
    await create_demo(seed=1, password="x", today=TODAY)

    for person in await Participant.select():
        assert person["consent_given_on"] == person["enrolled_on"]
        assert person["consent_version"]
        assert person["consent_recorded_by"] is not None
        assert person["display_name"]


async def test_default_demo_meets_about_weekly_with_plausible_attendance():
    await create_demo(seed=1, password="x", today=TODAY)

    meetings = await Meeting.select().order_by(Meeting.held_on)
    by_group = defaultdict(list)
    for meeting in meetings:
        by_group[meeting["group"]].append(meeting["held_on"])
        assert meeting["held_on"] < TODAY
        themes = json.loads(meeting["themes"])
        assert themes and set(themes) <= {theme.value for theme in Theme}
    for days in by_group.values():
        gaps = [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]
        assert mean(gaps) < 10  # about weekly
        assert max(gaps) >= 21  # a holiday break
        assert not any(is_holiday(day) for day in days[1:])
    notes = [meeting["private_note"] for meeting in meetings]
    assert 0 < sum(bool(note) for note in notes) < len(notes) / 2

    attendance = await Attendance.select()
    rate = mean(row["present"] for row in attendance)
    assert 0.55 < rate < 0.92
    per_person = defaultdict(list)
    held_on = {meeting["id"]: meeting["held_on"] for meeting in meetings}
    for row in attendance:
        per_person[row["participant"]].append((held_on[row["meeting"]], row["present"]))
    rates = [mean(present for _day, present in rows) for rows in per_person.values()]
    assert len(rates) == 14
    assert max(rates) - min(rates) > 0.15  # people differ
    # Some come less and less as the year goes on.
    dropped = 0
    for rows in per_person.values():
        rows.sort()
        third = len(rows) // 3
        if mean(p for _d, p in rows[:third]) - mean(p for _d, p in rows[-third:]) > 0.2:
            dropped += 1
    assert dropped >= 1


async def test_default_demo_assessments_start_at_baseline_and_improve():
    await create_demo(seed=1, password="x", today=TODAY)

    participants = {row["id"]: row for row in await Participant.select()}
    rows = await Assessment.select().order_by(Assessment.taken_on).order_by(Assessment.id)
    series: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in rows:
        series[(row["participant"], row["instrument"])].append(row)
        assert row["taken_on"] < TODAY
        # Scores come from the instrument's own scoring of the stored answers.
        scored = get_instrument(row["instrument"]).score(json.loads(row["answers"]))
        assert (row["raw_score"], row["score"], row["band"]) == (
            scored.raw_score, scored.score, scored.band
        )
    for person_id, person in participants.items():
        for instrument in INSTRUMENTS:
            taken = series[(person_id, instrument)]
            assert taken, f"no {instrument} for participant {person_id}"
            assert taken[0]["taken_on"] - person["enrolled_on"] <= dt.timedelta(days=14)
            assert len(taken) >= 4  # monthly during the months so far
    for instrument in INSTRUMENTS:
        first = [series[(pid, instrument)][0]["score"] for pid in participants]
        last = [series[(pid, instrument)][-1]["score"] for pid in participants]
        assert mean(last) > mean(first), instrument


async def test_same_seed_gives_same_data_and_another_seed_does_not():
    await create_demo(seed=7, password="x", today=TODAY)
    first = await snapshot()
    await empty_tables()
    await create_demo(seed=7, password="x", today=TODAY)
    again = await snapshot()
    await empty_tables()
    await create_demo(seed=8, password="x", today=TODAY)
    other = await snapshot()

    assert sum(len(rows) for rows in first.values()) > 1000
    for name in first:
        assert first[name] == again[name], name
    assert first["participant"] != other["participant"]
    assert first["attendance"] != other["attendance"]


async def test_password_option_sets_every_users_password():
    passwords = await create_demo(seed=1, password="x", today=TODAY)

    assert passwords == {"admin": "x", "coach1": "x", "coach2": "x", "evaluator": "x"}
    users = await User.select()
    assert len(users) == 4
    for user in users:
        assert verify_password(user["password_hash"], "x")
        assert not verify_password(user["password_hash"], "y")


async def test_the_app_can_add_rows_after_the_demo():
    # The demo writes its own ids; PostgreSQL's sequences must have been moved past them.
    await create_demo(seed=1, password="x", today=TODAY)
    group = await CoachingGroup.objects().first()

    user = await make_user("newcoach")
    person = await make_participant(group, display_name="Uusi")
    meeting = Meeting(group=group.id, held_on=TODAY, duration_minutes=90, created_at=now(),
                      updated_at=now())
    await meeting.save()
    await Attendance(meeting=meeting.id, participant=person.id, present=True).save()

    assert user.id > 4 and person.id > 14
    assert await Attendance.count().where(Attendance.meeting == meeting.id) == 1


async def test_without_password_every_user_gets_a_random_one():
    passwords = await create_demo(seed=1, today=TODAY)

    assert len(set(passwords.values())) == 4
    assert all(len(password) >= 12 for password in passwords.values())
    for user in await User.select():
        assert verify_password(user["password_hash"], passwords[user["username"]])


async def test_refuses_a_database_that_holds_data():
    await make_user("someone", role="admin")

    with pytest.raises(DemoRefused) as refusal:
        await create_demo(seed=1, password="x", today=TODAY)
    assert "COACH_DATA_DIR" in str(refusal.value)  # says what to do, in any language
    assert await User.count() == 1
    assert await CoachingGroup.count() == 0


async def test_refuses_fewer_participants_than_groups():
    with pytest.raises(DemoRefused):
        await create_demo(groups=3, participants=2, today=TODAY)
    assert await User.count() == 0


async def test_groups_and_participants_options_spread_people_over_groups():
    await create_demo(seed=3, password="x", groups=3, participants=20, today=TODAY)

    groups = await CoachingGroup.select().order_by(CoachingGroup.id)
    assert len(groups) == 3
    sizes = defaultdict(int)
    for row in await Participant.select():
        sizes[row["group"]] += 1
    assert sorted(sizes.values()) == [6, 7, 7]
    finals = await final_statuses()
    assert sum(status in EMPLOYED_STATUSES for status in finals.values()) == 10
    users = {row["id"]: row["username"] for row in await User.select()}
    coaches = {row["group"]: users[row["coach"]] for row in await GroupCoach.select()}
    assert [coaches[group["id"]] for group in groups] == ["coach1", "coach2", "coach1"]
    assert await Meeting.count() > 3 * 30
    assert await Assessment.count() > 20 * 3 * 4


def test_coach_demo_command_fills_a_new_sqlite_database_once(tmp_path):
    env = dict(os.environ, COACH_DATA_DIR=str(tmp_path), COACH_ENV="development")
    for name in ("DATABASE_URL", "PORT", "COACH_SECRET_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-m", "coach.cli", "demo"]

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:8000/login" in result.stdout
    printed = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in {"admin", "coach1", "coach2", "evaluator"}:
            printed[parts[0]] = parts[2]
    assert set(printed) == {"admin", "coach1", "coach2", "evaluator"}

    with sqlite3.connect(tmp_path / "coach.sqlite3") as connection:
        count = lambda table: connection.execute(  # noqa: E731
            f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608
        ).fetchone()[0]
        assert (count("coaching_group"), count("participant"), count("app_user")) == (2, 14, 4)
        hashes = dict(connection.execute("SELECT username, password_hash FROM app_user"))
    for username, password in printed.items():
        assert verify_password(hashes[username], password)

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert again.returncode == 2
    assert "coach.sqlite3" in again.stderr
    with sqlite3.connect(tmp_path / "coach.sqlite3") as connection:
        assert connection.execute("SELECT COUNT(*) FROM participant").fetchone()[0] == 14
