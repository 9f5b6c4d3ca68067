"""schemathesis against the app's own OpenAPI document, as each kind of caller.

The document (/schema/openapi.json, fetched as a signed-in admin sees it) lists the routes
meant for scripts: /healthz, the anonymised data package and the funder's CSV. Each
caller below (anonymous, a browser, a participant, a coach, an evaluator and an admin,
signed in or with an API token) sends every operation a bounded, derandomized run:
schemathesis draws query values from the document (negative ones too, and for some cases
values that name records of the world) and checks that no answer is a 5xx and none breaks
the document: its status code, media type and body are ones it declares. Since the
document declares the token and the session cookie, it draws those too (a random cookie,
a random bearer token, which must be refused); a caller's own credentials replace them.

The answers each caller got are then compared with what that caller must get, so a run
in which everyone was refused (or no one was) fails too.

The HTML pages are not in the document (coach/app.py): they were listed there as JSON
objects with only 200 and 400, so every page broke it. The forms behind them are fuzzed
by tests/test_form_fuzz.py instead.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

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
from coach.reports.scope import group_key
from tests.coach_world import World, make_world, sign_in

EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
JSON = "application/json"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
ANY = "*/*"  # what curl and most HTTP libraries send

# The operations a script may rely on; a page that slips into the document, or a route
# for scripts that drops out of it, fails test_the_document_lists_the_routes_for_scripts.
OPERATIONS = ("GET /healthz", "GET /exports/data.zip", "GET /reports/funder.csv")


@dataclass(frozen=True)
class Role:
    """Who calls, how they prove it, and what they accept."""

    user: str | None  # an attribute of the world, "anna" for the participant
    proof: str  # "session", "token" or "" (nothing)
    accept: str


ROLES = {
    "anonymous": Role(None, "", JSON),
    "anonymous browser": Role(None, "", BROWSER),
    "participant": Role("anna", "session", JSON),
    "coach": Role("coach", "session", JSON),
    "coach with a token": Role("coach", "token", ANY),  # a token of someone who may not export
    "evaluator": Role("evaluator", "session", JSON),
    "evaluator with a token": Role("evaluator", "token", ANY),
    "admin in a browser": Role("admin", "session", BROWSER),
    "admin with a token": Role("admin", "token", JSON),
}

# The answer each caller must get at least once from each operation (besides refusals of
# bad input): every role is refused or served as the document says, and it is seen to be.
MUST_SEE: dict[str, dict[str, int]] = {
    "GET /healthz": dict.fromkeys(ROLES, 200),
    "GET /exports/data.zip": {
        "anonymous": 401, "anonymous browser": 303, "participant": 403, "coach": 403,
        "coach with a token": 401, "evaluator": 200, "evaluator with a token": 200,
        "admin in a browser": 200, "admin with a token": 200,
    },
    "GET /reports/funder.csv": {
        # Tokens open only the data package: a token here is no sign-in at all.
        "anonymous": 401, "anonymous browser": 303, "participant": 403, "coach": 403,
        "coach with a token": 303, "evaluator": 200, "evaluator with a token": 303,
        "admin in a browser": 200, "admin with a token": 401,
    },
}
# A role that may use an operation must also be seen refused for a bad value.
BAD_INPUT = {
    ("GET /exports/data.zip", role) for role in
    ("evaluator", "evaluator with a token", "admin in a browser", "admin with a token")
} | {("GET /reports/funder.csv", role) for role in ("evaluator", "admin in a browser")}


@dataclass
class Caller:
    """What one role sends with every request, over what schemathesis draws.

    Header names are spelled as requests spells its defaults: a lower-case "accept" was
    sent alongside its "Accept: */*" and lost.
    """

    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)


async def caller_for(app, world: World, role: Role) -> Caller:
    settings_ = app.state["settings"]
    csrf = generate_csrf_token(csrf_config(settings_).secret)
    headers = {"Accept": role.accept, "Accept-Language": "en", CSRF_HEADER: csrf}
    cookies = {CSRF_COOKIE: csrf}
    if role.proof == "token":
        raw, _token_id = await create_token(getattr(world, role.user).id, "schemathesis")
        return Caller({"Accept": role.accept, "Authorization": f"Bearer {raw}"})
    if role.proof == "session" and role.user == "anna":
        raw, _session_id = await create_session(settings_, user_id=None,
                                                participant_id=world.anna.id)
        cookies[SESSION_COOKIE] = raw
    elif role.proof == "session":
        raw, _session_id = await create_session(settings_, user_id=getattr(world, role.user).id,
                                                participant_id=None)
        cookies[SESSION_COOKIE] = raw
    return Caller(headers, cookies)


async def known_values(app, world: World) -> dict[str, str]:
    """Query values that name records of the world; a meeting and news to export too."""
    moment = now()
    await Meeting(group=world.group.id, held_on=world.group.starts_on, duration_minutes=60,
                  themes="[]", private_note="", created_at=moment, updated_at=moment).save()
    await StatusChange(participant=world.anna.id, status="work_trial",
                       effective_on=world.anna.enrolled_on, recorded_at=moment).save()
    secret = app.state["settings"].secret_key
    return {"group": group_key(secret, world.group.id), "year": str(world.group.starts_on.year)}


@pytest.fixture
async def setup(app):
    world = await make_world()
    known = await known_values(app, world)
    callers = {name: await caller_for(app, world, role) for name, role in ROLES.items()}
    with TestClient(app=app) as client:
        admin = callers["admin in a browser"]
        client.cookies.update(admin.cookies)
        response = client.get("/schema/openapi.json", headers=admin.headers)
    assert response.status_code == 200, response.text[:300]
    return response.json(), known, callers


def test_the_document_lists_the_routes_for_scripts(setup):
    raw_schema, _known, _callers = setup
    listed = {f"{method.upper()} {path}" for path, item in raw_schema["paths"].items()
              for method in item}
    assert listed == set(OPERATIONS)
    schemes = raw_schema["components"]["securitySchemes"]
    assert schemes["apiToken"]["scheme"] == "bearer"
    assert schemes["session"] == {**schemes["session"], "in": "cookie", "name": SESSION_COOKIE}
    download = raw_schema["paths"]["/exports/data.zip"]["get"]
    assert set(download["responses"]) >= {"200", "303", "400", "401", "403", "422"}
    assert list(download["responses"]["200"]["content"]) == ["application/zip"]
    assert download["parameters"][0]["schema"]["enum"] == ["standard", "excel-fi"]


def test_every_operation_answers_below_500_and_as_documented(app, setup):
    raw_schema, known, callers = setup
    schema = schemathesis.openapi.from_dict(raw_schema)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document lists no operation"
    failures: list[str] = []
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    started = time.monotonic()
    for role, caller in callers.items():
        for operation in operations:
            name = f"{operation.method.upper()} {operation.path}"
            failures += run_operation(app, operation, caller, known, role, seen[name, role])
    elapsed = time.monotonic() - started
    assert not failures, "\n".join(failures[:20])

    missing = [f"{role} never got {status} from {name} (got {sorted(seen[name, role])})"
               for name, expected in MUST_SEE.items() for role, status in expected.items()
               if status not in seen[name, role]]
    missing += [f"{role} was never refused a bad value by {name} (got {sorted(seen[name, role])})"
                for name, role in BAD_INPUT if not seen[name, role] & {400, 404, 422}]
    assert not missing, "\n".join(missing)
    assert elapsed < 120, f"the run took {elapsed:.0f} s: lower EXAMPLES_PER_OPERATION"


def run_operation(app, operation, caller: Caller, known: dict[str, str], role: str,
                  seen: set[int] | None = None) -> list[str]:
    failures: list[str] = []
    query_names = {p.name for p in operation.query}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                  operation.as_strategy(GenerationMode.NEGATIVE)]
    strategies += [operation.as_strategy(GenerationMode.POSITIVE, query={name: value})
                   for name, value in known.items() if name in query_names]

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def check(case):
        response = case.call(app=app, headers=caller.headers, cookies=caller.cookies)
        if seen is not None:
            seen.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
            media_type = response.headers.get("content-type", [""])[0]
            assert media_type.count("charset=") <= 1, f"Content-Type: {media_type}"
            if response.status_code == 200 and operation.path.endswith(".zip"):
                zipfile.ZipFile(io.BytesIO(response.content)).testzip()  # a whole zip
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
                for failure in run_operation(tiny, result.ok(), Caller({}), {}, "anyone")]
    assert any("/boom: 500" in failure for failure in failures), failures
    assert any("/page: 200" in failure and "Content-Type" in failure for failure in failures), \
        failures


async def test_refusals_say_why(client):
    """The refusals the document lists, each with its reason, as a script reads them."""
    world = await make_world()
    coach_token, _id = await create_token(world.coach.id, "")
    raw, _id = await create_token(world.evaluator.id, "")
    as_json = {"accept": JSON, "accept-language": "en"}
    with_token = {**as_json, "authorization": f"Bearer {raw}"}

    answers = {
        "no token": await client.get("/exports/data.zip", headers={"accept": ANY}),
        "coach's token": await client.get("/exports/data.zip", headers={
            "accept": ANY, "authorization": f"Bearer {coach_token}"}),
        "bad format": await client.get("/exports/data.zip?format=xlsx", headers=with_token),
        "NUL": await client.get("/exports/data.zip?format=%00", headers=with_token),
        "not signed in": await client.get("/reports/funder.csv", headers=as_json),
    }
    await sign_in(client, world.coach)
    answers["coach"] = await client.get("/exports/data.zip", headers=as_json)

    got = {name: (response.status_code, response.json()["detail"])
           for name, response in answers.items()}
    assert got == {
        "no token": (401, "missing token"),
        "coach's token": (401, "token owner may not export"),
        "bad format": (400, "Unknown file format."),
        "NUL": (422, "It has a character that cannot be saved. Go back, remove it and try "
                     "again."),
        "not signed in": (401, "Sign in first."),
        "coach": (403, "You do not have access to this page."),
    }
    assert answers["no token"].headers["www-authenticate"].startswith("Bearer")
