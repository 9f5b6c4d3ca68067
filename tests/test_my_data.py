"""The participant's own data: the page, JSON and CSV downloads, and withdrawing consent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from coach.audit.log import now, record
from coach.audit.tables import AuditEvent
from coach.choices import AssessmentMode
from coach.participant_portal.access_log import access_log
from coach.participant_portal.services import as_csv, my_data
from coach.participants.tables import Participant
from tests.auth_helpers import login_as, login_participant, sign_in_directly
from tests.factories import make_group, make_participant, make_user, save_assessment

WHO5 = {"cheerful": 5, "calm": 4, "active": 3, "rested": 2, "interest": 1}


@pytest.fixture
async def people(client):
    client.headers["Accept-Language"] = "en"
    coach = await make_user("coach1")
    group = await make_group("Ryhmä Kuopio", coaches=[coach])
    anna = await make_participant(group, "Anna", exit_reason=None)
    other = await make_participant(group, "Otto")
    await save_assessment(anna.id, "who5", WHO5, mode=AssessmentMode.invite)
    await save_assessment(other.id, "was", {"current": 2}, mode=AssessmentMode.invite)
    return coach, anna, other


async def _events(action: str) -> list[AuditEvent]:
    return await AuditEvent.objects().where(AuditEvent.action == action)


async def test_data_page_shows_what_is_stored(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    page = await client.get("/me/data")
    assert page.status_code == 200
    text = page.text
    assert "Anna" in text and "1980" in text and "Ryhmä Kuopio" in text
    assert "I have felt cheerful and in good spirits" in text
    assert "All of the time (5)" in text
    assert "Otto" not in text
    assert [e.target_id for e in await _events("participant.data.view")] == [anna.id]


async def test_json_download_holds_everything_and_only_theirs(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    response = await client.get("/me/data.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    data = json.loads(response.text)
    assert set(data) == {
        "person",
        "group",
        "labour_market_status",
        "attendance",
        "assessments",
        "access_log",
    }
    assert data["person"]["display_name"] == "Anna"
    assert data["person"]["consent_version"] == "1.0"
    assert data["labour_market_status"] == [
        {"status": "unemployed", "effective_on": anna.enrolled_on.isoformat()}
    ]
    [assessment] = data["assessments"]
    assert assessment["answers"] == WHO5
    assert (assessment["raw_score"], assessment["score"], assessment["band"]) == (15, 60.0, "good")
    assert "Otto" not in response.text
    [event] = await _events("participant.data.download")
    assert event.target_id == anna.id
    assert (json.loads(event.detail) if isinstance(event.detail, str) else event.detail) == {
        "format": "json"
    }


async def test_csv_download_holds_everything(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    response = await client.get("/me/data.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["section", "record", "field", "value"]
    assert ["person", "1", "display_name", "Anna"] in rows
    assert ["group", "1", "name", "Ryhmä Kuopio"] in rows
    assert ["assessments", "1", "answer:cheerful", "5"] in rows
    assert ["assessments", "1", "score", "60.0"] in rows
    assert len(await _events("participant.data.download")) == 1


async def test_csv_cells_never_start_a_formula(people):
    _coach, anna, _other = people
    await Participant.update({Participant.display_name: "=HYPERLINK(1)"}).where(
        Participant.id == anna.id
    )
    rows = list(csv.reader(io.StringIO(as_csv(await my_data(anna.id)))))
    assert ["person", "1", "display_name", "'=HYPERLINK(1)"] in rows


async def test_no_downloads_on_a_coachs_phone(client, people):
    coach, anna, _other = people
    await sign_in_directly(client, user=coach, together_with=anna)
    page = await client.get("/me/data")
    assert page.status_code == 200
    assert "/me/data.json" not in page.text
    assert (await client.get("/me/data.json")).status_code == 403
    assert (await client.get("/me/data.csv")).status_code == 403


async def test_withdrawing_consent_takes_one_page_and_one_confirmation(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    page = await client.get("/me/withdraw")
    assert page.status_code == 200 and "Yes, withdraw my consent" in page.text
    response = await client.post("/me/withdraw", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    row = await Participant.objects().get(Participant.id == anna.id)
    assert row.consent_withdrawn_on == dt.date.today()
    [event] = await _events("consent.withdraw")
    assert event.target_id == anna.id and event.actor_label == f"participant:{anna.id}"
    # Their data stays visible to them; no new check can start.
    assert (await client.get("/me/data")).status_code == 200
    assert (await client.get("/me/check")).status_code == 403
    home = await client.get("/me")
    assert "You have withdrawn your consent" in home.text
    # A second press changes nothing and is not audited again.
    await client.post("/me/withdraw")
    assert len(await _events("consent.withdraw")) == 1


async def test_withdrawal_leaves_other_participants_alone(client, people):
    _coach, anna, other = people
    await login_participant(client, anna)
    await client.post("/me/withdraw")
    row = await Participant.objects().get(Participant.id == other.id)
    assert row.consent_withdrawn_on is None


async def test_withdraw_needs_csrf_token(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    del client.headers["x-csrftoken"]
    assert (await client.post("/me/withdraw")).status_code == 403
    row = await Participant.objects().get(Participant.id == anna.id)
    assert row.consent_withdrawn_on is None


async def test_withdraw_wrong_method(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)
    assert (await client.delete("/me/withdraw")).status_code == 405


ADMIN_IP = "203.0.113.9"


@pytest.fixture
async def handled(client, people):
    """Give Anna a history: her coach's view, an admin's change, her own sign-in."""
    coach, anna, other = people
    admin = await make_user("hallinto_ville", role="admin")
    await login_as(client, coach)
    assert (await client.get(f"/participants/{anna.id}")).status_code == 200
    await record(
        "participant.update",
        actor_user_id=admin.id,
        actor_label=admin.username,
        target_type="participant",
        target_id=anna.id,
        detail={"fields": ["internal_marker_x"]},
        ip=ADMIN_IP,
    )
    await record(
        "participant.leave",
        actor_user_id=coach.id,
        actor_label=coach.username,
        target_type="participant",
        target_id=other.id,
        ip=ADMIN_IP,
    )
    client.cookies.clear()  # Anna signs in on her own phone
    client.headers.pop("x-csrftoken", None)
    await login_participant(client, anna)
    return coach, anna, admin


def _no_staff_traces(text: str) -> None:
    for secret in ("coach1", "hallinto_ville", ADMIN_IP, "testclient", "internal_marker_x"):
        assert secret not in text, secret


async def test_data_page_shows_who_handled_the_data_by_role(client, handled):
    _coach, _anna, _admin = handled
    await client.get("/me/data.json")
    text = (await client.get("/me/data")).text
    assert "Who has handled your data" in text
    assert "Your coach: looked at your details" in text
    assert "The project&#39;s administrator: changed your details" in text
    assert "You: signed in with your link" in text
    assert "You: downloaded your data" in text
    # The newest first: the download came after the coach's view.
    assert text.index("You: downloaded your data") < text.index("Your coach: looked at")
    assert "marked that you left the group" not in text  # that was about Otto
    _no_staff_traces(text)


async def test_downloads_hold_the_access_log_without_names_or_addresses(client, handled):
    _coach, anna, _admin = handled
    response = await client.get("/me/data.json")
    log = json.loads(response.text)["access_log"]
    assert all(set(entry) == {"occurred_at", "who", "action"} for entry in log)
    assert [(e["who"], e["action"]) for e in log][-3:] == [
        ("you", "invite.use"),
        ("admin", "participant.update"),
        ("coach", "participant.view"),
    ]
    moments = [dt.datetime.fromisoformat(e["occurred_at"]) for e in log]
    assert moments == sorted(moments, reverse=True)
    assert "participant.leave" not in response.text
    _no_staff_traces(response.text)

    response = await client.get("/me/data.csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    records: dict[str, dict[str, str]] = {}
    for section, number, field, value in rows[1:]:
        if section == "access_log":
            records.setdefault(number, {})[field] = value
    assert [(r["who"], r["action"]) for r in records.values()][-3:] == [
        ("you", "invite.use"),
        ("admin", "participant.update"),
        ("coach", "participant.view"),
    ]
    assert all(set(r) == {"occurred_at", "who", "action"} for r in records.values())
    assert "participant.leave" not in response.text
    _no_staff_traces(response.text)
    assert len(await access_log(anna.id)) == len(log) + 2  # and the two downloads


async def test_page_shows_the_latest_hundred_and_counts_all(client, people):
    _coach, anna, _other = people
    await login_participant(client, anna)  # one event: the sign-in
    await AuditEvent.insert(
        *(
            AuditEvent(
                occurred_at=now(),
                actor_label=f"participant:{anna.id}",
                action="participant.home.view",
                target_type="participant",
                target_id=anna.id,
            )
            for _ in range(104)
        )
    )
    text = (await client.get("/me/data")).text
    assert "Events in all: 105." in text
    assert "Below are the latest 100." in text
    assert text.count('<time datetime="') == 100
    data = json.loads((await client.get("/me/data.json")).text)
    assert len(data["access_log"]) == 106  # and the page view


async def test_fill_in_together_shows_the_log_too(client, people):
    coach, anna, _other = people
    await sign_in_directly(client, user=coach, together_with=anna)
    assert (await client.get("/me/data")).status_code == 200
    page = await client.get("/me/data")
    assert page.status_code == 200
    assert "You, with your coach: looked at your data" in page.text
    assert "coach1" not in page.text.split("Who has handled your data")[1]


async def test_unknown_action_gets_the_general_phrase(client, people):
    _coach, anna, _other = people
    await record(
        "participant.mystery", actor_label="anonymous", target_type="participant", target_id=anna.id
    )
    await login_participant(client, anna)
    text = (await client.get("/me/data")).text
    assert "Someone from the project: a change or view of your data: participant.mystery" in text
    client.headers["Accept-Language"] = "fi"
    text = (await client.get("/me/data")).text
    assert "tietojesi muutos tai katselu: participant.mystery" in text
    assert "Sinä: linkilläsi kirjauduttiin sisään" in text


async def test_an_erased_persons_history_is_not_shown_to_whoever_gets_the_id(people):
    _coach, anna, _other = people
    for action in ("participant.view", "participant.erase", "participant.create"):
        await record(action, actor_label="cli", target_type="participant", target_id=anna.id)
    assert [(e["who"], e["action"]) for e in await access_log(anna.id)] == [
        ("admin", "participant.create")
    ]
