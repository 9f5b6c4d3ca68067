"""The group page shows the latest meetings and links to all of them, a page at a time,
so that an older meeting's attendance can still be found and corrected."""

from __future__ import annotations

import datetime as dt
import re

from coach.meetings import services
from coach.paging import page_count, read_page
from tests.coach_world import audit_actions, make_world, sign_in


async def log_meetings(w, count: int) -> list[int]:
    """Log meetings every other day from the group's start; return their ids, oldest first."""
    ids = []
    for index in range(count):
        cleaned = {"held_on": w.group.starts_on + dt.timedelta(days=2 * index),
                   "duration_minutes": 60 + index, "themes": [], "private_note": "",
                   "present": {w.anna.id} if index % 2 else set()}
        ids.append((await services.create_meeting(w.group.id, cleaned, w.coach.id)).id)
    return ids


def edit_links(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/meetings/(\d+)/edit"', html)]


def test_pages_are_counted_and_only_their_numbers_are_read():
    assert page_count(0, 20) == 1 and page_count(20, 20) == 1 and page_count(21, 20) == 2
    assert read_page(None, 2) == 1 and read_page("", 2) == 1 and read_page("2", 2) == 2
    for raw in ("0", "3", "-1", "+1", " 1", "1.0", "abc", "٣", "9" * 40):
        assert read_page(raw, 2) is None, raw


async def test_the_group_page_shows_the_five_newest_and_links_to_all(client):
    w = await make_world()
    ids = await log_meetings(w, 23)
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}")
    assert response.status_code == 200
    assert edit_links(response.text) == list(reversed(ids))[:5]
    assert f'href="/groups/{w.group.id}/meetings"' in response.text
    assert "All meetings (23)" in response.text


async def test_the_group_page_has_no_list_link_when_every_meeting_is_shown(client):
    w = await make_world()
    await log_meetings(w, 3)
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}")
    assert f'href="/groups/{w.group.id}/meetings"' not in response.text


async def test_all_meetings_are_paged_newest_first_down_to_the_oldest(client):
    w = await make_world()
    ids = await log_meetings(w, 23)
    newest_first = list(reversed(ids))
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings"
    first = await client.get(url)
    assert first.status_code == 200
    assert edit_links(first.text) == newest_first[:20]
    assert "Page 1 of 2" in first.text
    assert f'href="{url}?page=2"' in first.text and "?page=0" not in first.text
    second = await client.get(url, params={"page": "2"})
    assert second.status_code == 200
    assert edit_links(second.text) == newest_first[20:]
    assert f'href="{url}?page=1"' in second.text and "?page=3" not in second.text
    # The oldest meeting opens for editing, where its attendance can be corrected.
    edit = await client.get(f"/meetings/{ids[0]}/edit")
    assert edit.status_code == 200 and f'id="present-{w.anna.id}"' in edit.text
    assert [event["detail"] for event in await audit_actions("group.view")] == [
        {"page": "meetings"}, {"page": "meetings"}]


async def test_a_page_out_of_range_or_not_a_number_is_404_with_a_message(client):
    w = await make_world()
    await log_meetings(w, 21)
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings"
    for raw in ("3", "0", "-1", "x", "1e3", "9" * 40):
        response = await client.get(url, params={"page": raw})
        assert response.status_code == 404, raw
        assert "There is no such page. The meetings fill pages 1 to 2." in response.text
        assert f'href="{url}"' in response.text
        assert edit_links(response.text) == []


async def test_a_group_without_meetings_has_one_empty_page(client):
    w = await make_world()
    await sign_in(client, w.admin)
    url = f"/groups/{w.group.id}/meetings"
    response = await client.get(url)
    assert response.status_code == 200 and "No meetings logged yet." in response.text
    assert (await client.get(url, params={"page": "2"})).status_code == 404


async def test_only_the_groups_coach_or_an_admin_sees_the_list(client):
    w = await make_world()
    await log_meetings(w, 2)
    url = f"/groups/{w.group.id}/meetings"
    await sign_in(client, w.other_coach)
    assert (await client.get(url)).status_code == 404
    await sign_in(client, w.evaluator)
    assert (await client.get(url)).status_code == 403
    await sign_in(client, w.admin)
    response = await client.get(url)
    assert response.status_code == 200 and len(edit_links(response.text)) == 2


async def test_the_list_is_in_the_users_language(client):
    w = await make_world()
    await log_meetings(w, 21)
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}/meetings",
                                headers={"accept-language": "fi"})
    assert "Kaikki tapaamiset" in response.text and "Sivu 1 / 2" in response.text
