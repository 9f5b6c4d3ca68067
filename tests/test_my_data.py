"""The participant's own data: the page, JSON and CSV downloads, and withdrawing consent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from coach.assessments.services import save_assessment
from coach.audit.tables import AuditEvent
from coach.choices import AssessmentMode
from coach.participant_portal.services import as_csv, my_data
from coach.participants.tables import Participant
from tests.auth_helpers import login_participant, sign_in_directly
from tests.factories import make_group, make_participant, make_user

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
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    data = json.loads(response.text)
    assert set(data) == {"person", "group", "labour_market_status", "attendance", "assessments"}
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
    assert response.headers["content-type"].startswith("text/csv")
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
