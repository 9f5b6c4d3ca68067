"""schemathesis against the app's own OpenAPI document, signed in as each kind of user.

The document is fetched from /schema/openapi.json as a signed-in admin sees it. For each
caller (anonymous, a participant, admin, coach, evaluator, and a script with an export API
token) every operation in it gets a bounded, derandomized run: schemathesis draws path,
query and body values from the schema (negative ones too; a third of the cases name
records that exist) and checks that no answer is a 5xx and none breaks the document (its
status code, media type and body are ones the document declares).

The HTML pages are not in the document (coach/app.py): they were listed there as JSON
objects with only 200 and 400, so every page broke it. The forms behind them are fuzzed
by tests/test_form_fuzz.py instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar, MediaType, Response, get
from litestar.middleware.csrf import generate_csrf_token
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coach.audit.log import now
from coach.auth.protection import CSRF_COOKIE, CSRF_HEADER, csrf_config
from coach.auth.sessions import SESSION_COOKIE, create_session
from coach.export.tokens import create_token
from coach.meetings.tables import Meeting
from coach.participants.tables import StatusChange
from tests.coach_world import World, make_world

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = ("anonymous", "participant", "admin", "coach", "evaluator", "api_token")


@dataclass
class Caller:
    """What one role sends with every request."""

    headers: dict[str, str]
    cookies: dict[str, str]

    def all_headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**self.headers, **({"cookie": cookie} if cookie else {})}


async def caller_for(app, world: World, role: str) -> Caller:
    settings_ = app.state["settings"]
    csrf = generate_csrf_token(csrf_config(settings_).secret)
    if role == "anonymous":
        return Caller({CSRF_HEADER: csrf, "accept": "application/json"}, {CSRF_COOKIE: csrf})
    if role == "api_token":  # a script fetching the data package
        raw, _token_id = await create_token(world.evaluator.id, "schemathesis")
        return Caller({"authorization": f"Bearer {raw}", "accept": "application/json"}, {})
    if role == "participant":
        raw, _session_id = await create_session(settings_, user_id=None,
                                                participant_id=world.anna.id)
    else:
        raw, _session_id = await create_session(settings_, user_id=getattr(world, role).id,
                                                participant_id=None)
    return Caller({CSRF_HEADER: csrf, "accept": "application/json"},
                  {SESSION_COOKIE: raw, CSRF_COOKIE: csrf})


async def real_ids(world: World) -> dict[str, int]:
    """Path parameters that name records of the world (the coach's group)."""
    moment = now()
    meeting = Meeting(group=world.group.id, held_on=world.group.starts_on, duration_minutes=60,
                      themes="[]", private_note="", created_at=moment, updated_at=moment)
    await meeting.save()
    # News after enrolment: the entry at enrolment itself may not be removed.
    entry = StatusChange(participant=world.anna.id, status="work_trial",
                         effective_on=world.anna.enrolled_on, recorded_at=moment)
    await entry.save()
    return {"group_id": world.group.id, "meeting_id": meeting.id,
            "participant_id": world.anna.id, "entry_id": entry.id}


@pytest.fixture
async def setup(app):
    world = await make_world()
    ids = await real_ids(world)
    callers = {role: await caller_for(app, world, role) for role in ROLES}
    admin = callers["admin"]
    with TestClient(app=app) as client:
        response = client.get("/schema/openapi.json", headers=admin.all_headers())
    assert response.status_code == 200, response.text[:300]
    return response.json(), ids, callers


def test_every_operation_answers_below_500_and_as_documented(app, setup):
    raw_schema, ids, callers = setup
    schema = schemathesis.openapi.from_dict(raw_schema)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operation"
    for role, caller in callers.items():
        for operation in operations:
            failures += run_operation(app, operation, caller, ids, role)
    assert not failures, "\n".join(failures[:20])


def run_operation(app, operation, caller: Caller, ids: dict[str, int], role: str) -> list[str]:
    failures: list[str] = []
    known = {name: value for name, value in ids.items()
             if name in {p.name for p in operation.path_parameters}}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                  operation.as_strategy(GenerationMode.NEGATIVE)]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def check(case):
        response = case.call(app=app, headers=caller.all_headers())
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
            failures.append(f"{role} {operation.method.upper()} {operation.path}: "
                            f"{response.status_code} {type(exc).__name__}: {str(exc)[:300]}")

    check()
    return failures


def test_the_run_catches_a_500_and_a_page_documented_as_json():
    """The harness itself: a handler that fails and one whose document lies are both caught."""

    @get("/boom", sync_to_thread=False)
    def boom() -> dict[str, str]:
        raise RuntimeError("bug")

    @get("/page", sync_to_thread=False)
    def page() -> Response:
        return Response("<p>hello</p>", media_type=MediaType.HTML)

    tiny = Litestar([boom, page], debug=False, logging_config=None)
    schema = schemathesis.openapi.from_dict(tiny.openapi_schema.to_schema())
    failures = [failure for result in schema.get_all_operations()
                for failure in run_operation(tiny, result.ok(), Caller({}, {}), {}, "anyone")]
    assert any("/boom: 500" in failure for failure in failures), failures
    assert any("/page: 200" in failure and "Content-Type" in failure for failure in failures), \
        failures
