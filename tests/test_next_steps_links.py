"""Next steps lead to their action: "Self-assessment due" opens the participant's choice of
an invite link or filling in together, which comes before the history on their page."""

from __future__ import annotations

import datetime as dt
import re

from coach.forms import today
from tests.coach_world import make_world, sign_in
from tests.factories import make_group, make_participant, make_user


def step_links(html: str) -> dict[int, str]:
    """Return {participant id: href} of the "to see" rows of the home's next steps."""
    return {int(pid): href for href, pid in
            re.findall(r'<a href="([^"]+)" data-person="(\d+)">', html)}


async def test_a_due_check_links_to_the_self_assessment_choice(client):
    coach = await make_user("coach")
    group = await make_group(coaches=[coach])
    person = await make_participant(group, display_name="Aino")  # no baseline yet: due
    await sign_in(client, coach)
    home = await client.get("/")
    assert step_links(home.text)[person.id] == f"/participants/{person.id}#self-assessment"
    page = await client.get(f"/participants/{person.id}")
    html = page.text
    choice = html.index('id="self-assessment"')
    assert html.index(f'action="/participants/{person.id}/invite"') > choice
    assert html.index(f'action="/participants/{person.id}/together"') > choice
    # Both actions come before the news history, attendance and scores.
    for later in ('id="news"', 'id="attendance-title"', 'id="scores-title"'):
        assert html.index(f'action="/participants/{person.id}/together"') < html.index(later)
    # Once, not also under "More".
    assert html.count(f'action="/participants/{person.id}/invite"') == 1


async def test_the_group_page_links_a_due_person_to_the_choice(client):
    w = await make_world()
    await sign_in(client, w.coach)
    html = (await client.get(f"/groups/{w.group.id}")).text
    assert f'href="/participants/{w.anna.id}#self-assessment"' in html


async def test_someone_who_left_can_still_be_invited_for_the_follow_up(client):
    coach = await make_user("coach")
    ended_on = today() - dt.timedelta(days=20)
    group = await make_group("Syksy", coaches=[coach],
                             starts_on=ended_on - dt.timedelta(weeks=52), weeks=52)
    person = await make_participant(group, display_name="Aino", exited_on=group.ends_on)
    await sign_in(client, coach)
    html = (await client.get(f"/participants/{person.id}")).text
    assert 'id="self-assessment"' in html
    assert f'action="/participants/{person.id}/invite"' in html
    assert f'action="/participants/{person.id}/together"' in html


async def test_no_choice_without_consent(client):
    coach = await make_user("coach")
    group = await make_group(coaches=[coach])
    person = await make_participant(group, display_name="Aino", consent=False)
    await sign_in(client, coach)
    html = (await client.get(f"/participants/{person.id}")).text
    assert 'id="self-assessment"' not in html
    assert f'action="/participants/{person.id}/invite"' not in html
