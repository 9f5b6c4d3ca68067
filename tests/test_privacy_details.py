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


async def test_a_closed_group_takes_no_new_participants(client):
    from coach.audit.log import now
    from coach.groups.tables import CoachingGroup
    from coach.participants.tables import Participant

    w = await make_world()
    await CoachingGroup.update({CoachingGroup.closed_at: now()}).where(
        CoachingGroup.id == w.group.id)
    await sign_in(client, w.coach)
    before = await Participant.count()
    form = await client.get(f"/groups/{w.group.id}/participants/new", follow_redirects=False)
    sent = await client.post(f"/groups/{w.group.id}/participants/new", data={
        "display_name": "Uusi", "birth_year": "1990", "gender": "female", "education": "basic",
        "status_at_entry": "education", "enrolled_on": w.group.starts_on.isoformat(),
        "consent_given_on": w.group.starts_on.isoformat(), "consent_version": "1.0",
    }, follow_redirects=False)
    assert form.status_code == sent.status_code == 303
    assert sent.headers["location"] == f"/groups/{w.group.id}"
    assert await Participant.count() == before
    page = await client.get(sent.headers["location"])
    assert "it takes no new participants" in page.text


async def test_together_for_a_closed_groups_participant_keeps_the_coach_signed_in(client):
    from coach.audit.log import now
    from coach.groups.tables import CoachingGroup

    w = await make_world()
    await CoachingGroup.update({CoachingGroup.closed_at: now()}).where(
        CoachingGroup.id == w.group.id)
    await sign_in(client, w.coach)
    response = await client.post(f"/participants/{w.anna.id}/together", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/participants/{w.anna.id}"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200  # still the coach, on the participant's page
    assert "no longer answer checks" in page.text
    assert await audit_actions("together.start") == []
