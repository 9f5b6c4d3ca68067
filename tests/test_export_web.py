"""The exports page, the zip download and API tokens, through HTTP."""

from __future__ import annotations

import hashlib
import io
import zipfile

from coach.auth.tables import ApiToken
from coach.export import routes
from coach.export.tokens import create_token
from coach.export.writer import ExportInvalid
from tests.coach_world import audit_actions, make_world, sign_in
from tests.export_helpers import CSV_FILES, read_zip_table


async def test_page_explains_the_package_rules_and_offers_the_download(client):
    world = await make_world()
    await sign_in(client, world.evaluator)

    page = await client.get("/exports")

    assert page.status_code == 200
    assert "at least 5 participants" in page.text
    assert "Standard disclosure policy" in page.text
    assert 'href="/exports"' in page.text  # in the menu
    assert 'action="/exports/data.zip"' in page.text and 'value="excel-fi"' in page.text
    assert "Anna" not in page.text


async def test_evaluator_downloads_a_zip_and_the_download_is_audited_with_counts(client):
    world = await make_world()
    await sign_in(client, world.evaluator)

    response = await client.get("/exports/data.zip")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
    assert names == {f"{n}.csv" for n in CSV_FILES} | {"codebook.csv", "codebook.md",
                                                         "datapackage.json"}
    assert len(read_zip_table(response.content, "participants")) == 3
    events = await audit_actions("export.download")
    assert len(events) == 1
    assert events[0]["actor_user_id"] == world.evaluator.id
    assert events[0]["detail"]["rows"]["participants"] == 3 and events[0]["detail"]["via"] == "web"


async def test_excel_fi_download_and_an_unknown_format(client):
    world = await make_world()
    await sign_in(client, world.admin)

    finnish = await client.get("/exports/data.zip?format=excel-fi")
    unknown = await client.get("/exports/data.zip?format=xlsx")

    with zipfile.ZipFile(io.BytesIO(finnish.content)) as archive:
        assert archive.read("participants.csv").startswith(b"\xef\xbb\xbfparticipant_id;")
    assert unknown.status_code == 400


async def test_an_export_that_fails_its_checks_sends_an_error_page_not_a_zip(client,
                                                                            monkeypatch):
    world = await make_world()
    await sign_in(client, world.evaluator)

    async def refuse(*args):
        raise ExportInvalid("participants.csv, row 1: bad")

    monkeypatch.setattr(routes, "write_package", refuse)
    response = await client.get("/exports/data.zip")

    assert response.status_code == 500
    assert "text/html" in response.headers["content-type"]
    assert "did not pass its checks" in response.text
    assert len(await audit_actions("export.refused")) == 1
    assert not await audit_actions("export.download")


async def test_a_token_is_shown_once_stored_hashed_and_fetches_the_zip(client):
    world = await make_world()
    await sign_in(client, world.evaluator)

    created = await client.post("/exports/tokens", data={"label": "R on my laptop"})
    raw = created.text.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    again = await client.get("/exports")

    assert raw.startswith("coach_") and raw not in again.text
    assert "R on my laptop" in again.text
    stored = await ApiToken.select().first()
    assert stored["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert len(await audit_actions("export.token.create")) == 1

    client.cookies.clear()
    fetched = await client.get("/exports/data.zip",
                               headers={"Authorization": f"Bearer {raw}", "accept": "*/*"})
    assert fetched.status_code == 200
    assert len(read_zip_table(fetched.content, "participants")) == 3
    assert (await ApiToken.select().first())["last_used_at"] is not None
    events = await audit_actions("export.download")
    assert events[-1]["detail"]["via"] == "token"
    assert events[-1]["actor_user_id"] == world.evaluator.id


async def test_a_revoked_or_wrong_token_gets_401_with_a_reason(client):
    world = await make_world()
    raw, token_id = await create_token(world.evaluator.id, "pandas")
    await sign_in(client, world.evaluator)

    revoked = await client.post(f"/exports/tokens/{token_id}/revoke", follow_redirects=False)
    client.cookies.clear()
    after = await client.get("/exports/data.zip", headers={"Authorization": f"Bearer {raw}"})
    wrong = await client.get("/exports/data.zip", headers={"Authorization": "Bearer nope"})
    missing = await client.get("/exports/data.zip", headers={"accept": "*/*"})

    assert revoked.status_code == 303
    assert (after.status_code, after.json()["detail"]) == (401, "token revoked")
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "invalid token")
    assert (missing.status_code, missing.json()["detail"]) == (401, "missing token")
    assert len(await audit_actions("export.token.revoke")) == 1


async def test_a_token_of_a_coach_or_a_disabled_evaluator_is_refused(client):
    world = await make_world()
    coach_token, _id = await create_token(world.coach.id, "")
    evaluator_token, _id = await create_token(world.evaluator.id, "")
    await world.evaluator.update_self({"is_active": False})

    for raw in (coach_token, evaluator_token):
        response = await client.get("/exports/data.zip",
                                    headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 401


async def test_a_token_does_not_open_other_pages(client):
    world = await make_world()
    raw, _id = await create_token(world.evaluator.id, "")

    page = await client.get("/exports", headers={"Authorization": f"Bearer {raw}"},
                            follow_redirects=False)

    assert page.status_code == 303  # only routes marked for tokens accept them


async def test_evaluator_cannot_revoke_someone_elses_token_but_an_admin_can(client):
    world = await make_world()
    _raw, admins_token = await create_token(world.admin.id, "")
    _raw, evaluators_token = await create_token(world.evaluator.id, "")
    await sign_in(client, world.evaluator)
    refused = await client.post(f"/exports/tokens/{admins_token}/revoke")
    await sign_in(client, world.admin)
    allowed = await client.post(f"/exports/tokens/{evaluators_token}/revoke",
                                follow_redirects=False)

    assert refused.status_code == 404
    assert allowed.status_code == 303
