from coach.accounts.tables import User


async def test_healthz_answers_ok_when_the_database_answers(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_503_with_a_reason_when_the_database_fails(client, monkeypatch):
    async def broken(*args, **kwargs):
        raise ConnectionRefusedError("no database")

    monkeypatch.setattr(User, "raw", broken)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "database unavailable" in response.json()["reason"]

