"""The coach's home: groups with next steps, then the route."""

from __future__ import annotations

import datetime as dt

from coach.assessments.instruments import all_instruments
from coach.assessments.schedule import (
    FOLLOW_UP,
    LATE,
    MISSED,
    last_day_to_answer,
    measurement_points,
    point_statuses,
)
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.auth.actor import Actor
from coach.forms import today
from coach.groups import services
from coach.home.services import home_groups
from coach.meetings.services import create_meeting
from coach.participants.services import record_news
from coach.participants.tables import Participant, StatusChange
from tests.coach_world import BOOSTED, HTMX, audit_actions, is_fragment, make_world, sign_in
from tests.factories import make_group, make_participant


async def age_records(participant, days):
    """Pretend the participant and their news were recorded `days` ago."""
    stamp = now() - dt.timedelta(days=days)
    await Participant.update({Participant.created_at: stamp}).where(
        Participant.id == participant.id)
    await StatusChange.update({StatusChange.recorded_at: stamp}).where(
        StatusChange.participant == participant.id)


ADMIN = Actor(role="admin", user_id=None, participant_id=None, username="admin",
              label="Admin", language="fi", session_id=0)


async def home_as_admin(day):
    """The admin's home on a day: (groups with next steps, the first page of the others)."""
    groups, listing = await home_groups(ADMIN, day, None, None)
    return groups, listing.items


async def test_home_lists_open_groups_and_whether_today_is_logged():
    first = await make_group(name="First")
    second = await make_group(name="Second")
    closed = await make_group(name="Closed", closed_at=now())
    await create_meeting(first.id, {"held_on": today(), "duration_minutes": 90, "themes": [],
                                    "present": set(), "private_note": ""}, None)
    groups, others = await home_as_admin(today())
    assert {g["name"]: g["logged_today"] for g in groups} == {"First": True, "Second": False}
    assert others == []
    cards = await services.group_cards([first.id, second.id, closed.id], today())
    assert [g["name"] for g in cards] == ["First", "Second"]  # a closed group has no card


async def test_home_shows_only_the_given_groups():
    await make_group(name="Not mine")
    assert await services.group_cards([], today()) == []
    nobody_s_coach = Actor(role="coach", user_id=999, participant_id=None, username="c",
                           label="C", language="fi", session_id=0)
    groups, listing = await home_groups(nobody_s_coach, today(), None, None)
    assert (groups, listing.items) == ([], [])


async def test_a_group_past_its_follow_up_is_listed_by_name_only():
    # Ended 8 months ago: the six-month follow-up and its four weeks for answers are over.
    await make_group(name="Old", starts_on=today() - dt.timedelta(weeks=52 + 35))
    await make_group(name="Following up", starts_on=today() - dt.timedelta(weeks=52 + 20))
    groups, earlier = await home_as_admin(today())
    assert [g["name"] for g in groups] == ["Following up"]
    assert [g["name"] for g in earlier] == ["Old"]
    assert "to_see" not in earlier[0]


async def test_a_group_has_next_steps_through_the_last_day_its_follow_up_counts():
    group = await make_group(name="Ending", starts_on=dt.date(2025, 1, 6), weeks=30)
    last = last_day_to_answer(group.starts_on, group.ends_on)
    after = last + dt.timedelta(days=1)
    # The same day as the schedule's: a follow-up not done is late on its last day, then missed.
    follow_up = measurement_points(group.starts_on, group.ends_on, 4)[-1]
    assert follow_up.kind == FOLLOW_UP
    [late] = point_statuses([follow_up], [], ["who5"], last)
    [missed] = point_statuses([follow_up], [], ["who5"], after)
    assert (late.status, missed.status) == (LATE, MISSED)
    detailed, earlier = await home_as_admin(last)
    assert ([g["name"] for g in detailed], earlier) == (["Ending"], [])
    detailed, earlier = await home_as_admin(after)
    assert (detailed, [g["name"] for g in earlier]) == ([], ["Ending"])


def test_nobody_s_follow_up_ends_after_their_group_s():
    # has_next_steps reads only the group's dates: this is why that is enough.
    starts_on, ends_on = dt.date(2025, 1, 6), dt.date(2025, 7, 31)
    group_last = last_day_to_answer(starts_on, ends_on)
    for enrolled_on in (starts_on, dt.date(2025, 5, 12), ends_on):  # the form's range
        for exited_on in (None, enrolled_on, dt.date(2025, 6, 30), ends_on + dt.timedelta(days=60)):
            assert last_day_to_answer(starts_on, ends_on, enrolled_on, exited_on) <= group_last
    assert last_day_to_answer(starts_on, ends_on, ends_on) == group_last


async def test_groups_beyond_the_limit_are_listed_by_name_only(monkeypatch):
    monkeypatch.setattr(services, "HOME_DETAIL_LIMIT", 2)
    for n in range(1, 5):
        await make_group(name=f"G{n}", starts_on=today() - dt.timedelta(weeks=n))
    detailed, others = await home_as_admin(today())
    assert [g["name"] for g in detailed] == ["G1", "G2"]  # the newest first
    assert [g["name"] for g in others] == ["G3", "G4"]


async def test_the_home_page_links_earlier_groups(client):
    w = await make_world()
    old = await make_group(name="Kevät 2024", coaches=[w.coach],
                           starts_on=today() - dt.timedelta(weeks=52 + 35))
    await sign_in(client, w.coach)
    page = await client.get("/")
    assert "Other groups" in page.text
    assert f'href="/groups/{old.id}"' in page.text


async def test_participants_without_news_for_30_days_are_listed():
    group = await make_group()
    quiet = await make_participant(group, display_name="Quiet")
    fresh = await make_participant(group, display_name="Fresh")
    news = await make_participant(group, display_name="News")
    gone = await make_participant(group, display_name="Gone",
                                  exited_on=today() - dt.timedelta(days=40))
    for person in (quiet, fresh, news, gone):
        await age_records(person, 45)
    await Participant.update({Participant.created_at: now()}).where(Participant.id == fresh.id)
    await record_news(news, "work_trial", today(), None)
    [home] = await services.group_cards([group.id], today())
    assert [p["display_name"] for p in home["quiet"]] == ["Quiet"]
    assert home["participant_count"] == 3


async def test_news_29_days_old_is_still_recent():
    group = await make_group()
    person = await make_participant(group)
    await age_records(person, services.QUIET_DAYS - 1)
    [home] = await services.group_cards([group.id], today())
    assert home["quiet"] == []


# --- the route ----------------------------------------------------------------------------

async def test_a_coach_sees_their_own_groups_with_next_steps(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get("/")
    assert response.status_code == 200
    assert "Ryhmä A" in response.text and "Ryhmä B" not in response.text
    assert "No meeting logged today." in response.text
    assert f'href="/groups/{w.group.id}/meetings/new"' in response.text
    [event] = await audit_actions("home.view")
    assert event["actor_user_id"] == w.coach.id
    assert event["detail"] == {"groups": [w.group.id]}


async def test_home_names_quiet_participants_with_a_link(client):
    w = await make_world()
    await age_records(w.anna, 40)
    await sign_in(client, w.coach)
    response = await client.get("/")
    rows = person_rows(response.text)
    assert "No news for 30 days" in rows[w.anna.id]
    assert "No news for 30 days" not in rows.get(w.ben.id, "")


async def test_home_names_participants_whose_self_assessment_is_due(client):
    w = await make_world()
    for instrument in all_instruments():
        await Assessment(participant=w.ben.id, instrument=instrument.id, instrument_version="1",
                         taken_on=today(), completed_at=now(), answers={}, raw_score=0,
                         score=0.0, band="b", mode="invite").save()
    await sign_in(client, w.coach)
    response = await client.get("/")
    rows = person_rows(response.text)
    assert "Self-assessment due" in rows[w.anna.id]
    assert w.ben.id not in rows


def person_rows(html: str) -> dict[int, str]:
    """Return the text of each participant's next-step row on the home page, by id."""
    rows = {}
    for chunk in html.split('data-person="')[1:]:
        person_id, _sep, rest = chunk.partition('"')
        rows[int(person_id)] = rest.split("</li>")[0]
    return rows


async def test_an_admin_sees_every_group_and_an_evaluator_none(client):
    w = await make_world()
    await sign_in(client, w.admin)
    response = await client.get("/")
    assert "Ryhmä A" in response.text and "Ryhmä B" in response.text
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    response = await client.get("/")
    assert response.status_code == 200
    assert "Ryhmä" not in response.text


async def test_home_needs_a_signed_in_staff_member_and_sends_participants_to_their_page(client):
    w = await make_world()
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await sign_in(client, participant=w.anna)
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    assert "Ryhmä A" not in response.text


async def test_home_answers_htmx_with_the_groups_block_only(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get("/", headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<div id="groups">')
    assert "Ryhmä A" in response.text
    boosted = await client.get("/", headers=BOOSTED)
    assert "<html" in boosted.text
