"""The audit log page: admins list and filter events; nothing edits or deletes them."""

from __future__ import annotations

import datetime as dt

from coach.audit.log import record
from coach.audit.tables import AuditEvent
from tests.auth_helpers import sign_in_directly
from tests.factories import make_user


async def _events():
    await record("login.success", actor_user_id=1, actor_label="anna", target_type="user",
                 target_id=1)
    await record("login.failure", actor_label="mallory", detail={"reason": "wrong password"})
    await record("participant.view", actor_label="ville", target_type="participant",
                 target_id=7)


async def test_admin_sees_events_newest_first(client):
    admin = await make_user("boss", role="admin")
    await _events()
    await sign_in_directly(client, user=admin)
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    text = page.text
    assert text.index("participant.view</code>") < text.index("login.failure</code>") < text.index(
        "login.success</code>")
    assert "wrong password" in text


async def test_filter_by_action_prefix_and_exact_action(client):
    admin = await make_user("boss", role="admin")
    await _events()
    await sign_in_directly(client, user=admin)
    both = (await client.get("/admin/audit", params={"action": "login"})).text
    assert "login.success</code>" in both and "login.failure</code>" in both
    assert "participant.view</code>" not in both
    one = (await client.get("/admin/audit", params={"action": "login.failure"})).text
    assert "login.failure</code>" in one and "login.success</code>" not in one


async def test_filter_by_actor(client):
    admin = await make_user("boss", role="admin")
    await _events()
    await sign_in_directly(client, user=admin)
    page = (await client.get("/admin/audit", params={"actor": "VILLE"})).text
    assert "participant.view</code>" in page and "login.failure</code>" not in page


async def test_filter_by_dates(client):
    admin = await make_user("boss", role="admin")
    await _events()
    old = AuditEvent(occurred_at=dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC), action="export",
                     actor_label="eeva", detail={})
    await old.save()
    await sign_in_directly(client, user=admin)
    march = (await client.get("/admin/audit", params={
        "date_from": "2024-03-05", "date_to": "2024-03-05"})).text
    assert "export</code>" in march and "login.success</code>" not in march
    later = (await client.get("/admin/audit", params={"date_from": "2024-03-06"})).text
    assert "export</code>" not in later and "login.success</code>" in later


async def test_bad_date_is_shown_next_to_its_field(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    page = await client.get("/admin/audit", params={"date_from": "5.3.2024"})
    assert page.status_code == 422 and 'id="date_from-error"' in page.text


async def test_pages_of_fifty(client):
    admin = await make_user("boss", role="admin")
    await AuditEvent.insert(*[
        AuditEvent(occurred_at=dt.datetime.now(dt.UTC), action="note", actor_label=f"a{n}",
                   detail={})
        for n in range(60)
    ])
    await sign_in_directly(client, user=admin)
    first = (await client.get("/admin/audit", params={"action": "note"})).text
    assert first.count("note</code>") == 50 and "page=2" in first
    second = (await client.get("/admin/audit", params={"action": "note", "page": "2"})).text
    assert second.count("note</code>") == 10


async def test_only_admins_read_the_log(client):
    coach = await make_user("ville")
    await sign_in_directly(client, user=coach)
    assert (await client.get("/admin/audit")).status_code == 403


def test_no_route_changes_or_deletes_audit_events(app):
    writes = [
        (method, route.path)
        for route in app.routes
        for handler in route.route_handlers
        for method in handler.http_methods
        if method in ("PUT", "PATCH", "DELETE") or (method == "POST" and "audit" in route.path)
    ]
    assert writes == []


async def test_sign_in_and_out_are_audited_with_the_address(client):
    from tests.auth_helpers import login_as

    user = await make_user("anna")
    await login_as(client, user)
    await client.post("/logout")
    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.ip, AuditEvent.actor_label)
    actions = [row["action"] for row in rows]
    assert actions == ["login.success", "logout"]
    assert all(row["ip"] for row in rows) and rows[1]["actor_label"] == "anna"
