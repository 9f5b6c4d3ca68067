"""Small privacy rules from the hardening review (issue 12): audited views, no autofill."""

from __future__ import annotations

import re

from tests.auth_helpers import sign_in_directly
from tests.coach_world import audit_actions, make_world, sign_in


async def test_viewing_mark_as_left_is_audited(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}/leave")
    assert response.status_code == 200 and "Anna" in response.text
    views = [event for event in await audit_actions("participant.view")
             if event["detail"].get("page") == "leave"]
    assert [(event["target_id"], event["actor_user_id"]) for event in views] == [
        (w.anna.id, w.coach.id)]


async def test_give_the_phone_back_does_not_invite_the_saved_password(client):
    # Whoever holds the phone must not get the coach's saved password filled in or offered:
    # browsers fill saved passwords into "current-password" fields, not "new-password" ones.
    w = await make_world()
    client.headers["accept-language"] = "en"
    await sign_in_directly(client, user=w.coach, together_with=w.anna)
    page = await client.get("/together/end")
    assert page.status_code == 200
    field = re.search(r'<input[^>]*type="password"[^>]*>', page.text).group(0)
    assert 'autocomplete="new-password"' in field
    assert "current-password" not in page.text
