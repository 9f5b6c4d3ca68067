"""The audit log as CSV (issue 11 point 14): admins only, the page's filters, audited,
safe to open in a spreadsheet, bounded, and written in batches."""

from __future__ import annotations

import csv
import datetime as dt
import io

from coach.audit import export
from coach.audit.labels import action_labels
from coach.audit.log import record
from coach.audit.tables import AuditEvent
from tests.auth_helpers import sign_in_directly
from tests.factories import make_user

HEADER = ["time_utc", "user", "role", "action", "action_in_words", "target_type", "target_id",
          "detail", "ip"]


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


async def _admin(client):
    admin = await make_user("boss", role="admin")
    await sign_in_directly(client, user=admin)
    return admin


async def test_admin_downloads_the_filtered_log_with_codes_and_words(client):
    ville = await make_user("ville", display_name="Ville Äijälä")
    await record("login.success", actor_user_id=ville.id, actor_label="ville",
                 target_type="user", target_id=ville.id)
    await record("login.failure", actor_label="mallory", detail={"reason": "wrong password"})
    await record("participant.view", actor_user_id=ville.id, actor_label="Ville Äijälä",
                 target_type="participant", target_id=7, ip="10.0.0.1")
    await record("invite.use", actor_label="participant:7", target_type="participant",
                 target_id=7)
    await _admin(client)

    response = await client.get("/admin/audit.csv", params={"action": "login"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.decode("utf-8").splitlines()[0].split(",") == HEADER
    rows = rows_of(response)
    assert [row["action"] for row in rows] == ["login.success", "login.failure"]  # oldest first
    assert rows[0]["action_in_words"] == "kirjautui sisään"
    assert rows[0]["role"] == "coach" and rows[0]["target_id"] == str(ville.id)
    assert rows[1]["role"] == "" and rows[1]["detail"] == '{"reason": "wrong password"}'
    assert dt.datetime.strptime(rows[0]["time_utc"], "%Y-%m-%dT%H:%M:%SZ")

    everything = rows_of(await client.get("/admin/audit.csv"))
    by_action = {row["action"]: row for row in everything}
    assert by_action["participant.view"]["user"] == "Ville Äijälä"  # UTF-8 kept
    assert by_action["participant.view"]["ip"] == "10.0.0.1"
    assert by_action["invite.use"]["role"] == "participant"


async def test_the_csv_is_in_the_language_of_the_admin_and_unknown_codes_stay_codes(client):
    await record("login.success", actor_label="anna")
    await record("something.new", actor_label="anna")
    await _admin(client)
    client.cookies.set("lang", "en")
    rows = rows_of(await client.get("/admin/audit.csv", params={"actor": "anna"}))
    assert [(row["action"], row["action_in_words"]) for row in rows] == [
        ("login.success", "signed in"), ("something.new", "something.new")]


async def test_cells_that_a_spreadsheet_would_run_are_defused(client):
    await record("group.create", actor_label="=HYPERLINK(\"http://x\")", target_type="group",
                 target_id=1, detail={"name": "=1+1"})
    await record("user.create", actor_label="@SUM(A1)", ip="-2+3")
    await record("user.create", actor_label="+cmd|' /C calc'!A0")
    await _admin(client)
    rows = rows_of(await client.get("/admin/audit.csv", params={"action": "user"}))
    assert [row["user"] for row in rows] == ["'@SUM(A1)", "'+cmd|' /C calc'!A0"]
    assert rows[0]["ip"] == "'-2+3"
    group_row = rows_of(await client.get("/admin/audit.csv", params={"action": "group"}))[0]
    assert group_row["user"] == "'=HYPERLINK(\"http://x\")"
    assert group_row["detail"] == '{"name": "=1+1"}'  # starts with {, a spreadsheet shows text


async def test_the_download_is_audited_with_its_filters_and_not_in_its_own_file(client):
    await record("login.success", actor_label="anna")
    admin = await _admin(client)
    response = await client.get("/admin/audit.csv", params={"date_from": "2020-01-01"})
    assert "audit.export" not in response.text
    [event] = await AuditEvent.select().where(AuditEvent.action == "audit.export").output(
        load_json=True)
    assert event["actor_user_id"] == admin.id
    assert event["detail"] == {"date_from": "2020-01-01", "rows": 1}
    # The next download shows the first one.
    again = rows_of(await client.get("/admin/audit.csv", params={"action": "audit"}))
    assert [row["action_in_words"] for row in again] == ["latasi tapahtumalokin"]


async def test_dates_filter_the_file_by_the_finnish_day(client):
    for moment, label in ((dt.datetime(2024, 3, 4, 21, 59, tzinfo=dt.UTC), "before"),
                          (dt.datetime(2024, 3, 4, 22, 1, tzinfo=dt.UTC), "inside"),
                          (dt.datetime(2024, 3, 5, 21, 59, tzinfo=dt.UTC), "last")):
        await AuditEvent(occurred_at=moment, action="login.success", actor_label=label,
                         detail={}).save()
    await _admin(client)
    rows = rows_of(await client.get("/admin/audit.csv", params={
        "date_from": "2024-03-05", "date_to": "2024-03-05"}))
    assert [row["user"] for row in rows] == ["inside", "last"]
    assert rows[0]["time_utc"] == "2024-03-04T22:01:00Z"


async def test_an_end_before_the_start_is_shown_next_to_the_field(client):
    await _admin(client)
    for path in ("/admin/audit.csv", "/admin/audit"):
        response = await client.get(path, params={"date_from": "2024-03-05",
                                                  "date_to": "2024-03-01"})
        assert response.status_code == 422 and 'id="date_to-error"' in response.text
    bad = await client.get("/admin/audit.csv", params={"date_from": "9999-01-01"})
    assert bad.status_code == 422 and 'id="date_from-error"' in bad.text
    assert await AuditEvent.count().where(AuditEvent.action == "audit.export") == 0


async def test_too_many_events_ask_for_a_shorter_time_and_nothing_is_sent(client, monkeypatch):
    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 5)
    await AuditEvent.insert(*[
        AuditEvent(occurred_at=dt.datetime.now(dt.UTC), action="note", actor_label=f"a{n}",
                   detail={}) for n in range(6)])
    await _admin(client)
    refused = await client.get("/admin/audit.csv")
    assert refused.status_code == 422 and 'id="date_from-error"' in refused.text
    assert "text/html" in refused.headers["content-type"]
    assert await AuditEvent.count().where(AuditEvent.action == "audit.export") == 0
    fewer = await client.get("/admin/audit.csv", params={"actor": "a1"})
    assert fewer.status_code == 200 and len(rows_of(fewer)) == 1


async def test_the_file_is_written_in_batches_up_to_the_newest_event_at_the_start(monkeypatch):
    monkeypatch.setattr(export, "BATCH_ROWS", 7)
    await AuditEvent.insert(*[
        AuditEvent(occurred_at=dt.datetime.now(dt.UTC), action="note", actor_label=f"a{n}",
                   detail={}) for n in range(20)])
    last_id = await export.newest_id()
    chunks = []
    async for chunk in export.csv_chunks(None, last_id, action_labels()):
        chunks.append(chunk)
        if len(chunks) == 2:  # an event logged while the file is written stays out of it
            await record("login.success", actor_label="late")
    assert len(chunks) == 1 + 3  # the header, then 7 + 7 + 6 rows
    assert all(len(chunk.decode().splitlines()) <= 7 for chunk in chunks)
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8"))))
    assert [row["user"] for row in rows] == [f"a{n}" for n in range(20)]


async def test_only_admins_download_the_log(client):
    await record("login.success", actor_label="anna")
    assert (await client.get("/admin/audit.csv", follow_redirects=False)).status_code == 303
    for role in ("coach", "evaluator"):
        user = await make_user(f"u-{role}", role=role)
        await sign_in_directly(client, user=user)
        assert (await client.get("/admin/audit.csv")).status_code == 403
    assert await AuditEvent.count().where(AuditEvent.action == "audit.export") == 0


async def test_the_page_shows_actions_in_words_with_the_code_and_a_link_to_the_csv(client):
    await record("participant.news", actor_label="ville", target_type="participant",
                 target_id=3)
    await record("something.new", actor_label="ville")
    await _admin(client)
    page = (await client.get("/admin/audit", params={"actor": "ville"})).text
    assert "Kirjasi muutoksen työ- tai opiskelutilanteeseen" in page
    assert "<code>participant.news</code>" in page
    assert page.count('<p class="record__title">something.new</p>') == 1
    assert 'href="/admin/audit.csv?actor=ville"' in page
    assert "<table" not in page  # rows are cards of label: value pairs at every width
