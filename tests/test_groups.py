"""The group page: its numbers first, then the route."""

from __future__ import annotations

import datetime as dt

from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.forms import today
from coach.groups import services
from coach.meetings.services import create_meeting
from coach.participants.services import record_news
from tests.coach_world import HTMX, audit_actions, is_fragment, make_world, sign_in
from tests.factories import make_group, make_participant


async def add_score(participant, instrument, score, days_ago):
    await Assessment(participant=participant.id, instrument=instrument, instrument_version="1",
                     taken_on=today() - dt.timedelta(days=days_ago), completed_at=now(),
                     answers={}, raw_score=int(score), score=score, band="b",
                     mode="invite").save()


async def log(group, days_ago, present):
    await create_meeting(group.id, {"held_on": today() - dt.timedelta(days=days_ago),
                                    "duration_minutes": 90, "themes": [],
                                    "present": {p.id for p in present}, "private_note": ""},
                         None)


async def test_overview_counts_attendance_employment_and_latest_scores():
    group = await make_group()
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben")
    await log(group, 14, [anna, ben])
    await log(group, 7, [anna])
    await record_news(ben, "employed_full_time", today() - dt.timedelta(days=2), None)
    await add_score(anna, "who5", 40.0, 30)
    await add_score(anna, "who5", 64.0, 3)
    await add_score(anna, "was", 6.0, 3)
    await add_score(anna, "lifestyle", 3.0, 1)
    overview = await services.group_overview(group, today())
    assert overview["attendance_rate"] == 75.0
    assert overview["employed"] == 1
    assert overview["active"] == 2
    assert overview["meeting_count"] == 2
    rows = {row["display_name"]: row for row in overview["participants"]}
    assert rows["Anna"]["attendance"] == 100.0 and rows["Ben"]["attendance"] == 50.0
    assert rows["Anna"]["wellbeing"]["score"] == 64.0
    assert rows["Anna"]["work_ability"]["score"] == 6.0
    assert rows["Ben"]["wellbeing"] is None
    assert rows["Ben"]["status"] == "employed_full_time" and rows["Ben"]["employed"]


async def test_overview_of_an_empty_group_has_no_rates():
    group = await make_group()
    overview = await services.group_overview(group, today())
    assert overview["attendance_rate"] is None
    assert overview["participants"] == [] and overview["meetings"] == []


async def test_overview_leaves_out_erased_people_and_marks_those_who_left():
    group = await make_group()
    await make_participant(group, display_name="Erased", erased_at=now())
    await make_participant(group, display_name="Left", exited_on=today() - dt.timedelta(days=1))
    overview = await services.group_overview(group, today())
    assert [(r["display_name"], r["left"]) for r in overview["participants"]] == [("Left", True)]
    assert overview["active"] == 0


# --- the route ----------------------------------------------------------------------------

async def test_the_coach_sees_people_scores_and_rates_of_their_group(client):
    w = await make_world()
    await log(w.group, 7, [w.anna])
    await add_score(w.anna, "who5", 64.0, 2)
    await record_news(w.ben, "employed_part_time", today(), None)
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}")
    assert response.status_code == 200
    text = response.text
    assert "Anna" in text and "Ben" in text and "Stranger" not in text
    assert "50%" in text  # attendance: 1 of 2 expected (English writes no space)
    assert "1 of 2" in text  # employed now
    assert "Employed part time" in text
    assert "64" in text
    assert 'href="/meetings/' in text
    [event] = await audit_actions("group.view")
    assert (event["target_type"], event["target_id"]) == ("group", w.group.id)


async def test_dates_follow_the_language(client):
    w = await make_world()
    await sign_in(client, w.coach)
    day = w.group.starts_on
    finnish = await client.get(f"/groups/{w.group.id}", headers={"accept-language": "fi"})
    assert f"{day.day}.{day.month}.{day.year}" in finnish.text
    english = await client.get(f"/groups/{w.group.id}", headers={"accept-language": "en"})
    assert f"{day.day} {day.strftime('%b')} {day.year}" in english.text


async def test_another_coachs_group_is_not_found_and_an_admin_sees_any(client):
    w = await make_world()
    await sign_in(client, w.coach)
    assert (await client.get(f"/groups/{w.other_group.id}")).status_code == 404
    assert (await client.get("/groups/9999")).status_code == 404
    client.cookies.clear()
    await sign_in(client, w.admin)
    assert (await client.get(f"/groups/{w.other_group.id}")).status_code == 200


async def test_the_group_page_needs_a_coach_or_admin(client):
    w = await make_world()
    response = await client.get(f"/groups/{w.group.id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await sign_in(client, w.evaluator)
    assert (await client.get(f"/groups/{w.group.id}")).status_code == 403


async def test_htmx_gets_the_participants_block(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}", headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<section id="participants"')
    assert "Anna" in response.text and "Recent meetings" not in response.text
