"""The group card on the coach's home counts the people it lists.

A finished group in its follow-up used to say "0 participants" above the names of the
people due a check, because everyone had been marked as left at the end.
"""

from __future__ import annotations

import datetime as dt
import re

from coach.forms import today
from coach.groups import services
from tests.coach_world import sign_in
from tests.factories import make_group, make_participant, make_user

NAMES = ["Aino", "Bertta", "Eino", "Helmi", "Jussi", "Lauri", "Oona"]


def card_meta(html: str, group_id: int) -> str:
    [meta] = re.findall(rf'<p class="meta" id="group-{group_id}-count">(.*?)</p>', html, re.S)
    return " ".join(meta.split())


def test_counts_follow_the_groups_phase():
    day = dt.date(2026, 6, 1)
    people = [{"exited_on": None}, {"exited_on": day - dt.timedelta(days=1)},
              {"exited_on": day}, {"exited_on": day + dt.timedelta(days=1)}]
    running = services.card_counts(people, day + dt.timedelta(days=30), day)
    assert running == {"follow_up": False, "follow_up_count": 4, "participant_count": 2,
                       "left_count": 2}
    ended = services.card_counts(people, day - dt.timedelta(days=1), day)
    assert ended["follow_up"] is True and ended["follow_up_count"] == 4


async def test_a_finished_group_in_follow_up_counts_everyone_it_may_list(client):
    coach = await make_user("coach")
    ended_on = today() - dt.timedelta(days=20)
    group = await make_group("Syksy", coaches=[coach],
                             starts_on=ended_on - dt.timedelta(weeks=52), weeks=52)
    # Everyone was marked as left on the last day, as coaches do when a group ends.
    for name in NAMES:
        await make_participant(group, display_name=name, exited_on=group.ends_on)
    await sign_in(client, coach)
    response = await client.get("/")
    meta = card_meta(response.text, group.id)
    assert "7 in follow-up" in meta
    assert "participants" not in meta
    # The people the card lists (due the end check) are among those it counts.
    [card] = re.findall(rf'id="next-steps-{group.id}">(.*?)</ul>', response.text, re.S)
    listed = set(re.findall(r"<span>(\w+)</span>", card)) & set(NAMES)
    assert listed, "the end-of-group check should be due for someone"
    assert len(listed) <= 7


async def test_a_running_group_counts_those_in_it_and_those_who_left(client):
    coach = await make_user("coach")
    group = await make_group("Kevät", coaches=[coach])
    for name in NAMES[:4]:
        await make_participant(group, display_name=name)
    await make_participant(group, display_name="Oona", exited_on=today() - dt.timedelta(days=3))
    await sign_in(client, coach)
    meta = card_meta((await client.get("/")).text, group.id)
    assert "4 participants · 1 left the group" in meta
    assert "follow-up" not in meta


async def test_a_running_group_where_nobody_left_does_not_mention_leaving(client):
    coach = await make_user("coach")
    group = await make_group("Kevät", coaches=[coach])
    await make_participant(group, display_name="Aino")
    await sign_in(client, coach)
    meta = card_meta((await client.get("/", headers={"accept-language": "fi"})).text,
                     group.id)
    assert "Osallistujia: 1" in meta and "Lopettaneita" not in meta
    meta = card_meta((await client.get("/")).text, group.id)
    assert meta.endswith("· 1 participant") and "left" not in meta
