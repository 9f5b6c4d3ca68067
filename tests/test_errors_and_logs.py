"""Errors reach the log with their traceback and the user as a plain page."""

import logging

import pytest
from litestar import get
from litestar.testing import AsyncTestClient


@get("/test-boom", opt={"public": True}, include_in_schema=False)
async def boom() -> str:
    raise RuntimeError("secret internal detail")


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def app_log():
    handler = ListHandler()
    logging.getLogger("coach").addHandler(handler)
    yield handler.records
    logging.getLogger("coach").removeHandler(handler)


async def test_an_unhandled_error_shows_a_plain_page_and_logs_the_traceback(app, app_log):
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/test-boom", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert "text/html" in response.headers["content-type"]
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    errors = [r for r in app_log if r.name == "coach.errors"]
    assert errors and errors[0].exc_info[0] is RuntimeError
    assert any(r.getMessage().startswith("GET /test-boom 500 ") for r in app_log)


async def test_every_request_gets_one_log_line_with_method_path_status_and_duration(
    client, app_log
):
    await client.get("/healthz")
    await client.get("/no-such-page")
    lines = [r.getMessage() for r in app_log if r.name == "coach.request"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /healthz 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /no-such-page 404 ")


async def test_invite_tokens_never_reach_the_request_log(client, app_log):
    await client.get("/i/very-secret-token-value")
    assert app_log
    assert all("very-secret-token-value" not in r.getMessage() for r in app_log)


async def test_an_unknown_page_gets_a_plain_404_page(client):
    response = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<html" in response.text


async def test_a_path_cannot_forge_a_log_line(client, app_log):
    await client.get("/nothing%0AGET%20/admin%20200%201.0ms%1B[31m")
    lines = [r.getMessage() for r in app_log if r.name == "coach.request"]
    assert len(lines) == 1
    assert "\n" not in lines[0] and "\x1b" not in lines[0]
    assert "\\x0a" in lines[0] and "\\x1b" in lines[0]


@get("/i/{token:str}/boom", opt={"public": True}, include_in_schema=False)
async def invite_boom(token: str) -> str:
    raise RuntimeError("failed")


async def test_an_error_on_an_invite_path_does_not_log_the_token(app, app_log):
    app.register(invite_boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/i/very-secret-token-value/boom")
    assert response.status_code == 500
    assert [r for r in app_log if r.name == "coach.errors"]
    assert all("very-secret-token-value" not in r.getMessage() for r in app_log)
