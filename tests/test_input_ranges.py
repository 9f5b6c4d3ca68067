"""Dates and ids out of range: refused with a message or a 404, never a 500 (issue 12, 6-7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.assessments.schedule import measurement_points
from coach.forms import Invalid, parse_date, parse_id, parse_ids, today
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.i18n import current_language
from coach.limits import (
    EARLIEST_DATE,
    LATEST_DATE,
    LONGEST_GROUP_YEARS,
    MAX_ID,
    MAX_IDS_PER_FORM,
    latest_group_end,
)
from coach.meetings.services import create_meeting
from coach.meetings.tables import Meeting
from coach.participants.tables import Participant
from tests.coach_world import make_world, sign_in
from tests.factories import make_participant
from tests.test_access_matrix import ACTORS, MATRIX, PARAMS, build_world

# 2**31 is beyond PostgreSQL's integer; 2**63 beyond SQLite's; the last beyond both.
HUGE_IDS = (MAX_ID + 1, 2**63, 10**30)


# --- The bounds themselves ----------------------------------------------------------------

@pytest.fixture
def english():
    """Read the messages of the form helpers in English."""
    token = current_language.set("en")
    yield
    current_language.reset(token)


@pytest.mark.parametrize("raw", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_date_outside_the_range_is_refused(english, raw):
    with pytest.raises(Invalid, match="Enter a date from"):
        parse_date(raw)


@pytest.mark.parametrize("raw", ["1900-01-01", "2100-12-31", "2025-06-30"])
def test_a_date_inside_the_range_is_read(raw):
    assert parse_date(raw) == dt.date.fromisoformat(raw)


def test_the_bounds_are_sensible():
    assert EARLIEST_DATE == dt.date(1900, 1, 1) and LATEST_DATE == dt.date(2100, 12, 31)
    assert latest_group_end(dt.date(2024, 2, 29)) == dt.date(2024 + LONGEST_GROUP_YEARS, 2, 28)


@pytest.mark.parametrize("raw", ["", "x", "-1", "0", "1.5", str(MAX_ID + 1), str(2**63),
                                 "1" * 5000])
def test_an_id_outside_the_range_is_refused(raw):
    with pytest.raises(Invalid):
        parse_id(raw)


def test_an_id_list_longer_than_any_group_is_refused_before_reading_it(english):
    assert parse_ids([str(n) for n in range(1, MAX_IDS_PER_FORM + 1)]) == set(
        range(1, MAX_IDS_PER_FORM + 1))
    with pytest.raises(Invalid, match="at most"):
        parse_ids(["x"] * (MAX_IDS_PER_FORM + 1))


def test_a_schedule_over_thousands_of_years_stays_small():
    points = measurement_points(dt.date(2000, 1, 1), dt.date(9000, 1, 1), 1)
    # Five years of weekly points at most, plus the baseline, end and follow-up.
    assert len(points) <= LONGEST_GROUP_YEARS * 53 + 3
    for start, end in ((dt.date(1, 1, 1), dt.date(2, 1, 1)),
                       (dt.date(9999, 1, 1), dt.date(9999, 12, 31)),
                       (dt.date(1, 1, 1), dt.date(9999, 12, 31))):
        assert measurement_points(start, end, 4, start, end)


# --- Dates in forms -------------------------------------------------------------------------

def error_of(response, field: str) -> str:
    """Return the text of the error shown next to a field."""
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)<', response.text, re.S)
    assert match, f"no error next to {field}"
    return match.group(1).strip()


def group_form(starts_on: str, ends_on: str) -> dict[str, str]:
    return {"name": "Ryhmä C", "starts_on": starts_on, "ends_on": ends_on,
            "usual_duration_minutes": "90", "assessment_interval_weeks": "4"}


@pytest.mark.parametrize(("starts_on", "ends_on", "field", "message"), [
    ("2025-01-01", "9999-12-31", "ends_on", "Enter a date from"),
    ("0001-01-01", "2025-06-30", "starts_on", "Enter a date from"),
    ("2025-01-01", "2030-01-02", "ends_on", "at most 5 years"),
])
async def test_a_group_with_dates_out_of_range_is_refused(client, starts_on, ends_on, field,
                                                          message):
    w = await make_world()
    await sign_in(client, w.admin)
    before = await CoachingGroup.count()
    response = await client.post("/admin/groups", data=group_form(starts_on, ends_on))
    assert response.status_code == 422
    assert message in error_of(response, field)
    assert await CoachingGroup.count() == before


async def test_a_group_of_exactly_the_longest_run_is_created(client):
    w = await make_world()
    await sign_in(client, w.admin)
    response = await client.post("/admin/groups", data=group_form("2025-01-01", "2030-01-01"),
                                 follow_redirects=False)
    assert response.status_code == 303


async def test_a_meeting_dated_year_one_is_refused_with_the_range(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new", data={
        "held_on": "0001-01-01", "duration_minutes": "90"})
    assert response.status_code == 422
    assert "Enter a date from" in error_of(response, "held_on")
    assert await Meeting.count() == 0


async def test_a_consent_before_1900_is_refused(client):
    w = await make_world()
    await sign_in(client, w.coach)
    before = await Participant.count()
    response = await client.post(f"/groups/{w.group.id}/participants/new", data={
        "display_name": "Cecilia", "birth_year": "1990", "gender": "female",
        "education": "basic", "status_at_entry": "employed_full_time",
        "enrolled_on": w.group.starts_on.isoformat(), "consent_given_on": "1899-12-31",
        "consent_version": "1.0"})
    assert response.status_code == 422
    assert "Enter a date from" in error_of(response, "consent_given_on")
    assert await Participant.count() == before


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"},
                                    {"date_from": "2025-01-01", "date_to": "9999-12-31"}])
async def test_audit_log_filters_out_of_range_answer_422_with_a_message(client, params):
    w = await make_world()
    await sign_in(client, w.admin)
    response = await client.get("/admin/audit", params=params)
    assert response.status_code == 422
    assert "Enter a date from" in response.text


# --- Dates already stored out of range ------------------------------------------------------

async def stored_group(w, starts_on: dt.date, ends_on: dt.date) -> CoachingGroup:
    """Store a group as an older version or a direct database edit might have left it."""
    group = CoachingGroup(name="Odd dates", starts_on=starts_on, ends_on=ends_on,
                          assessment_interval_weeks=1, created_at=w.group.created_at)
    await group.save()
    await GroupCoach(group=group.id, coach=w.coach.id).save()
    return group


@pytest.mark.parametrize(("starts_on", "ends_on"), [
    (dt.date(2025, 1, 1), dt.date(9999, 12, 31)),
    (dt.date(1, 1, 1), dt.date(2025, 1, 1)),
    (dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    (dt.date(9999, 12, 1), dt.date(9999, 12, 31)),
])
async def test_pages_stay_up_with_dates_stored_out_of_range(client, starts_on, ends_on):
    w = await make_world()
    group = await stored_group(w, starts_on, ends_on)
    person = await make_participant(group, display_name="Dora")  # enrolled on the first day
    await make_participant(group, display_name="Eeva",
                           enrolled_on=min(max(today(), starts_on), ends_on))
    await sign_in(client, w.coach)
    for path in ("/", f"/groups/{group.id}", f"/participants/{person.id}",
                 f"/groups/{group.id}/meetings/new", f"/groups/{group.id}/participants/new"):
        response = await client.get(path)
        assert response.status_code == 200, path
    client.cookies.clear()
    await sign_in(client, w.admin)
    for path in ("/", "/admin/groups", f"/admin/groups/{group.id}"):
        assert (await client.get(path)).status_code == 200, path
    client.cookies.clear()
    await sign_in(client, participant=person)
    for path in ("/me", "/me/progress"):
        assert (await client.get(path)).status_code == 200, path


@pytest.mark.parametrize(("starts_on", "ends_on"), [
    (dt.date(2025, 1, 1), dt.date(9999, 12, 31)),  # PostgreSQL stores it as infinity
    (dt.date(1, 1, 1), dt.date(2025, 1, 1)),  # and this as -infinity
    (dt.date(1, 1, 1), dt.date(9999, 12, 31)),
])
async def test_reports_and_exports_stay_up_with_dates_stored_out_of_range(client, starts_on,
                                                                          ends_on):
    w = await make_world()
    group = await stored_group(w, starts_on, ends_on)
    first = await make_participant(group, display_name="Dora")
    await make_participant(group, display_name="Eeva", enrolled_on=dt.date(2025, 1, 1))
    await create_meeting(group.id, {"held_on": dt.date(2025, 2, 1), "duration_minutes": 90,
                                    "themes": [], "present": {first.id}, "private_note": ""},
                         None)
    await sign_in(client, w.evaluator)
    for path in ("/reports", f"/reports?year={starts_on.year:04d}", "/reports/summary",
                 "/reports/funder", "/reports/funder.csv", "/exports/data.zip"):
        assert (await client.get(path)).status_code == 200, path


# --- Ids in paths ---------------------------------------------------------------------------

def id_routes() -> list[tuple[str, str, str]]:
    """Return (method, path, one int parameter) for every route with ids in its path."""
    return [(method, path, name)
            for method, path in sorted(MATRIX)
            for name in re.findall(r"{(\w+):int}", path)]


def actor_who_gets_through(method: str, path: str) -> str:
    """Return the actor that the route's guards let in (staff first, admin when both are)."""
    row = MATRIX[(method, path)]
    # A participant's own pages (the check's screens) let only participants in.
    for actor in ("admin", "coach", "evaluator", "participant"):
        expected = getattr(row, actor)
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if 403 not in allowed and 404 not in allowed:
            return actor
    raise AssertionError(f"no actor gets through {method} {path}")


async def fill(path: str, world, huge_name: str, huge: int) -> str:
    """Fill the path from the access matrix's values, with one id out of range."""
    for name in re.findall(r"{(\w+):\w+}", path):
        value = huge if name == huge_name else await PARAMS[name](world)
        path = re.sub(rf"{{{name}:\w+}}", str(value), path)
    return path


@pytest.mark.parametrize(("method", "path", "name"), id_routes())
async def test_an_id_beyond_the_integer_range_in_a_path_answers_404(client, method, path, name):
    assert "admin" in ACTORS
    world = await build_world()
    actor = actor_who_gets_through(method, path)
    if actor == "participant":
        await sign_in(client, participant=world.participant)
    else:
        await sign_in(client, getattr(world, actor))
    for huge in HUGE_IDS:
        url = await fill(path, world, name, huge)
        response = await client.request(method, url, data={} if method == "POST" else None,
                                        follow_redirects=False)
        assert response.status_code == 404, (url, response.status_code)


# --- Ids in forms -------------------------------------------------------------------------

def meeting_form(w, present: list[str]) -> dict:
    return {"held_on": today().isoformat(), "duration_minutes": "90", "present": present}


@pytest.mark.parametrize("huge", HUGE_IDS)
async def test_an_attendance_id_out_of_range_is_a_form_error(client, huge):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=meeting_form(w, [str(w.anna.id), str(huge)]))
    assert response.status_code == 422
    assert error_of(response, "present") == "Choose from the list."
    assert await Meeting.count() == 0


async def test_more_ticked_people_than_a_group_holds_answers_422_before_any_query(client):
    w = await make_world()
    await sign_in(client, w.coach)
    # More than PostgreSQL's 32,767 parameters, as one form could send.
    ids = [str(number) for number in range(1, 33_001)]
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=meeting_form(w, ids))
    assert response.status_code == 422
    assert "at most" in error_of(response, "present")
    assert await Meeting.count() == 0


@pytest.mark.parametrize("raw", [*map(str, HUGE_IDS), "abc"])
async def test_a_toggle_with_an_id_out_of_range_is_refused(client, raw):
    w = await make_world()
    await sign_in(client, w.coach)
    await client.post(f"/groups/{w.group.id}/meetings/new",
                      data=meeting_form(w, [str(w.anna.id)]))
    meeting = await Meeting.objects().first()
    response = await client.post(f"/meetings/{meeting.id}/attendance",
                                 data={"participant": raw, "present": [raw]})
    assert response.status_code == 400
    assert "Choose from the list." in response.text


@pytest.mark.parametrize("raw", [*map(str, HUGE_IDS), "abc", ""])
async def test_a_coach_id_out_of_range_is_refused_with_a_message(client, raw):
    w = await make_world()
    await sign_in(client, w.admin)
    before = await GroupCoach.count()
    response = await client.post(f"/admin/groups/{w.group.id}/coaches",
                                 data={"coach_id": raw})
    assert response.status_code == 200  # back on the group's page, with the message
    assert "Choose an active coach from the list." in response.text
    assert await GroupCoach.count() == before
