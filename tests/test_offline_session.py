"""GET /offline/session: whose offline queue may be sent now, with a fresh CSRF token."""

from __future__ import annotations

import html
import json
import re

from coach.auth.protection import CSRF_COOKIE, CSRF_HEADER
from coach.offline import queue_owner
from tests.auth_helpers import login_as, sign_in_directly
from tests.factories import make_group, make_participant, make_user

JSON = {"accept": "application/json"}


def queue_config(page: str) -> dict:
    """Return the offline queue's settings and texts that a page carries in data-config."""
    return json.loads(html.unescape(re.search(r"data-config='([^']*)'", page).group(1)))


async def test_a_coach_gets_an_opaque_owner_and_a_token_that_passes_the_csrf_check(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa", coaches=[coach])
    await login_as(client, coach)

    response = await client.get("/offline/session", headers=JSON)

    assert response.status_code == 200
    data = response.json()
    assert data["user"] == queue_owner(client.app.state["settings"].secret_key, coach.id)
    assert re.fullmatch(r"[0-9a-f]{32}", data["user"]) and str(coach.id) != data["user"]
    assert data["csrf"] == client.cookies.get(CSRF_COOKIE)
    assert response.headers["cache-control"] == "no-store"
    # The token works as the header of a fetch() post, with no token in the form.
    del client.headers[CSRF_HEADER]
    post = await client.post(f"/groups/{group.id}/meetings/new", data={"held_on": ""},
                             headers={CSRF_HEADER: data["csrf"]})
    assert post.status_code == 422  # through the CSRF check, refused for the empty date
    refused = await client.post(f"/groups/{group.id}/meetings/new", data={"held_on": ""},
                                headers={CSRF_HEADER: data["csrf"][:-2] + "00"})
    assert refused.status_code == 403


async def test_owners_of_two_users_differ_and_do_not_change_between_sessions(client):
    first = await make_user("kaisa", "coach")
    second = await make_user("ville", "coach")
    await sign_in_directly(client, user=first)
    one = (await client.get("/offline/session", headers=JSON)).json()["user"]
    await sign_in_directly(client, user=first)
    again = (await client.get("/offline/session", headers=JSON)).json()["user"]
    await sign_in_directly(client, user=second)
    other = (await client.get("/offline/session", headers=JSON)).json()["user"]
    assert one == again and one != other


async def test_someone_signed_out_gets_401_so_the_queue_pauses(client):
    response = await client.get("/offline/session", headers=JSON, follow_redirects=False)
    assert response.status_code == 401
    page = await client.get("/offline/session", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_participants_and_fill_in_together_never_get_the_coachs_queue(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa", coaches=[coach])
    person = await make_participant(group)
    await sign_in_directly(client, participant=person)
    assert (await client.get("/offline/session", headers=JSON)).status_code == 403
    await sign_in_directly(client, user=coach, together_with=person)
    assert (await client.get("/offline/session", headers=JSON)).status_code == 403


async def test_staff_pages_carry_the_queue_and_participant_pages_do_not(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa", coaches=[coach])
    person = await make_participant(group)
    login = await client.get("/login")
    assert "offline-queue.js" in login.text  # entries wait for a sign-in here
    await sign_in_directly(client, user=coach)
    form = await client.get(f"/groups/{group.id}/meetings/new")
    owner = queue_owner(client.app.state["settings"].secret_key, coach.id)
    assert "offline-queue.js" in form.text and queue_config(form.text)["user"] == owner
    assert re.search(r'<form id="meeting-form"[^>]* data-offline-queue', form.text)
    assert re.search(r'name="submission_key" value="[0-9a-f-]{36}"', form.text)
    news = await client.get(f"/participants/{person.id}")
    assert re.search(r'<form id="news-form"[^>]*data-offline-queue', news.text, re.S)

    await sign_in_directly(client, participant=person)
    mine = await client.get("/me")
    assert mine.status_code == 200
    assert "offline-queue.js" not in mine.text and 'id="offline-queue"' not in mine.text
    assert "connection-note.js" in mine.text


async def test_fill_in_together_pages_do_not_load_the_coachs_queue(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa", coaches=[coach])
    person = await make_participant(group)
    await sign_in_directly(client, user=coach, together_with=person)
    page = await client.get("/me/check", follow_redirects=True)
    assert page.status_code == 200
    assert "offline-queue.js" not in page.text and 'id="offline-queue"' not in page.text
    assert "connection-note.js" in page.text


async def test_the_queue_texts_are_sent_compactly_and_in_the_pages_language(client):
    coach = await make_user("kaisa", "coach")
    group = await make_group("Voimaa", coaches=[coach])
    await sign_in_directly(client, user=coach)
    page = (await client.get(f"/groups/{group.id}/meetings/new",
                             headers={"accept-language": "fi"})).text
    config = queue_config(page)
    assert config["text"]["edit"] == "Muokkaa" and "{count}" in config["text"]["waiting_many"]
    attribute = re.search(r"data-config='([^']*)'", page).group(1)
    assert "ä" in attribute and "\\u00e4" not in attribute and '", "' not in attribute


def test_no_text_can_break_out_of_the_single_quoted_attribute():
    from types import SimpleNamespace

    from coach.offline import queue_settings

    hostile = {"edit": "Don't </div><script>alert(1)</script> & \"so\""}
    written = str(queue_settings(SimpleNamespace(scope={}), hostile))
    assert not any(mark in written for mark in "'<>&")
    assert json.loads(written)["text"] == hostile and json.loads(written)["user"] is None
