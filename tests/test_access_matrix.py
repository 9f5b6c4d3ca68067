"""Who may reach which route: one row per route of the app, one status per kind of actor.

The rows come from the app's own route list, so a new route without a row fails
`test_every_route_has_a_row`. To add a route: add a row to MATRIX keyed by
(METHOD, path exactly as the app shows it), with the status expected for each actor
in the order of ACTORS; a cell may be a tuple of acceptable statuses. If its path has a
parameter not in PARAMS yet, add a function that returns the value to use (it may
create rows; the world is fresh for every case).

The actors: anonymous; the participant (an invite session of a participant in group A);
the coach of group A; the coach of group B ("other_coach"); an evaluator; an admin.
Every parameter points at group A's records, so the other coach is the one who must get
404 for records that exist but are not theirs. Unsafe requests carry a valid CSRF token
and an empty form: the table is about who gets through, not about validation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from litestar.testing import AsyncTestClient

from coach.accounts.tables import User
from coach.app import create_app
from coach.audit.log import now
from coach.meetings.tables import Meeting
from coach.participants.tables import StatusChange
from coach.settings import load_settings
from tests.auth_helpers import csrf_token, sign_in_directly
from tests.factories import make_group, make_participant, make_user

ACTORS = ("anonymous", "participant", "coach", "other_coach", "evaluator", "admin")


class Expect(NamedTuple):
    anonymous: int | tuple[int, ...]
    participant: int | tuple[int, ...]
    coach: int | tuple[int, ...]
    other_coach: int | tuple[int, ...]
    evaluator: int | tuple[int, ...]
    admin: int | tuple[int, ...]


# Shorthands for rows that recur. 303 for anonymous: a browser is sent to /login.
OK = 200
FORM_ERROR = 422  # an empty form re-rendered with its errors
PUBLIC_PAGE = Expect(OK, OK, OK, OK, OK, OK)
STAFF_PAGE = Expect(303, 403, OK, OK, OK, OK)
ADMIN_PAGE = Expect(303, 403, 403, 403, 403, OK)
PARTICIPANT_PAGE = Expect(303, OK, 403, 403, 403, 403)
GROUP_PAGE = Expect(303, 403, OK, 404, 403, OK)  # a page about one of group A's records
GROUP_FORM = Expect(303, 403, FORM_ERROR, 404, 403, FORM_ERROR)  # posting an empty form
SIGNED_IN_ONLY = Expect(303, 403, OK, OK, OK, OK)  # no role guard: any staff member

MATRIX: dict[tuple[str, str], Expect] = {
    # Foundation and layout
    ("GET", "/healthz"): PUBLIC_PAGE,
    ("GET", "/sw.js"): PUBLIC_PAGE,
    ("GET", "/manifest.webmanifest"): PUBLIC_PAGE,
    ("GET", "/offline"): PUBLIC_PAGE,
    ("GET", "/offline/session"): STAFF_PAGE,  # the offline queue's owner and CSRF token
    ("GET", "/static/{file_path:path}"): PUBLIC_PAGE,
    ("POST", "/language"): Expect(303, 303, 303, 303, 303, 303),
    # The OpenAPI document and its viewers: any signed-in staff member.
    ("GET", "/schema"): SIGNED_IN_ONLY,
    ("GET", "/schema/openapi.json"): SIGNED_IN_ONLY,
    ("GET", "/schema/openapi.yaml"): SIGNED_IN_ONLY,
    ("GET", "/schema/openapi.yml"): SIGNED_IN_ONLY,
    ("GET", "/schema/redoc"): SIGNED_IN_ONLY,
    ("GET", "/schema/swagger"): SIGNED_IN_ONLY,
    ("GET", "/schema/elements"): SIGNED_IN_ONLY,
    ("GET", "/schema/rapidoc"): SIGNED_IN_ONLY,
    ("GET", "/schema/oauth2-redirect.html"): SIGNED_IN_ONLY,
    ("GET", "/schema/{path:str}"): Expect(303, 403, 404, 404, 404, 404),
    # Signing in and out
    ("GET", "/login"): PUBLIC_PAGE,
    ("POST", "/login"): Expect(422, 422, 422, 422, 422, 422),
    # A participant on their own phone is asked once first (tests/test_personal_link.py).
    ("POST", "/logout"): Expect(303, OK, 303, 303, 303, 303),
    ("GET", "/signed-out"): PUBLIC_PAGE,
    ("GET", "/password"): Expect(303, 403, OK, OK, OK, OK),
    ("POST", "/password"): Expect(303, 403, 422, 422, 422, 422),
    # Invites and "fill in together"
    ("GET", "/i/{token:str}"): Expect(404, 404, 404, 404, 404, 404),  # an unknown token
    ("POST", "/i/{token:str}"): Expect(404, 404, 404, 404, 404, 404),
    ("POST", "/participants/{participant_id:int}/invite"): Expect(303, 403, OK, 404, 403, OK),
    # Without confirm=1 it only asks (tests/test_ask_once.py).
    ("POST", "/participants/{participant_id:int}/invite/revoke"):
        Expect(303, 403, OK, 404, 403, OK),
    ("POST", "/participants/{participant_id:int}/together"):
        Expect(303, 403, 303, 404, 403, 303),
    ("GET", "/together/end"): Expect(303, 403, 403, 403, 403, 403),
    ("POST", "/together/end"): Expect(303, 403, 403, 403, 403, 403),
    # Admin
    ("GET", "/admin/users"): ADMIN_PAGE,
    ("POST", "/admin/users"): Expect(303, 403, 403, 403, 403, 422),
    ("POST", "/admin/users/{user_id:int}/reset-password"): Expect(303, 403, 403, 403, 403, OK),
    ("POST", "/admin/users/{user_id:int}/disable"): Expect(303, 403, 403, 403, 403, 303),
    ("POST", "/admin/users/{user_id:int}/enable"): Expect(303, 403, 403, 403, 403, 303),
    ("GET", "/admin/groups"): ADMIN_PAGE,
    ("POST", "/admin/groups"): Expect(303, 403, 403, 403, 403, 422),
    ("GET", "/admin/groups/{group_id:int}"): ADMIN_PAGE,
    ("POST", "/admin/groups/{group_id:int}/coaches"): Expect(303, 403, 403, 403, 403, 303),
    ("POST", "/admin/groups/{group_id:int}/coaches/{user_id:int}/remove"):
        Expect(303, 403, 403, 403, 403, 303),
    ("POST", "/admin/groups/{group_id:int}/close"): Expect(303, 403, 403, 403, 403, 303),
    ("GET", "/admin/audit"): ADMIN_PAGE,
    ("GET", "/admin/audit.csv"): ADMIN_PAGE,  # the log as CSV (issue 11 point 14)
    # The coach's phone (issue 4)
    ("GET", "/"): Expect(303, 303, OK, OK, OK, OK),  # a participant is sent to /me
    ("GET", "/groups/{group_id:int}"): GROUP_PAGE,
    ("GET", "/groups/{group_id:int}/meetings"): GROUP_PAGE,  # all meetings, paged (issue 11)
    ("GET", "/groups/{group_id:int}/meetings/new"): GROUP_PAGE,
    ("POST", "/groups/{group_id:int}/meetings/new"): GROUP_FORM,
    ("GET", "/meetings/{meeting_id:int}/edit"): GROUP_PAGE,
    ("POST", "/meetings/{meeting_id:int}/edit"): GROUP_FORM,
    ("POST", "/meetings/{meeting_id:int}/attendance"): Expect(303, 403, 400, 404, 403, 400),
    ("GET", "/meetings/{meeting_id:int}/delete"): GROUP_PAGE,
    ("POST", "/meetings/{meeting_id:int}/delete"): Expect(303, 403, 303, 404, 403, 303),
    ("GET", "/groups/{group_id:int}/participants/new"): GROUP_PAGE,
    ("POST", "/groups/{group_id:int}/participants/new"): GROUP_FORM,
    ("GET", "/participants/{participant_id:int}"): GROUP_PAGE,
    ("POST", "/participants/{participant_id:int}/news"): GROUP_FORM,
    ("GET", "/participants/{participant_id:int}/news/{entry_id:int}/delete"): GROUP_PAGE,
    ("POST", "/participants/{participant_id:int}/news/{entry_id:int}/delete"):
        Expect(303, 403, 303, 404, 403, 303),
    ("GET", "/participants/{participant_id:int}/edit"): GROUP_PAGE,
    ("POST", "/participants/{participant_id:int}/edit"): GROUP_FORM,
    ("GET", "/participants/{participant_id:int}/leave"): GROUP_PAGE,
    ("POST", "/participants/{participant_id:int}/leave"): GROUP_FORM,
    # Care after a low score (issue 11): an empty form changes nothing and says so.
    ("POST", "/participants/{participant_id:int}/care/done"):
        Expect(303, 403, 303, 404, 403, 303),
    # The participant's own pages (issue 5)
    ("GET", "/me"): PARTICIPANT_PAGE,
    # The check, screen by screen (issue 11 point 6): /me/check begins the due check and
    # sends the browser to its first screen; without a begun check a screen sends there
    # too, and an answer or a Save finds no answers to add to (409, "start again").
    ("GET", "/me/check"): Expect(303, 303, 403, 403, 403, 403),
    ("GET", "/me/check/{number:int}"): Expect(303, 303, 403, 403, 403, 403),
    ("POST", "/me/check/{number:int}"): Expect(303, 409, 403, 403, 403, 403),
    ("GET", "/me/check/review"): Expect(303, 303, 403, 403, 403, 403),
    ("POST", "/me/check/save"): Expect(303, 409, 403, 403, 403, 403),
    ("GET", "/me/progress"): PARTICIPANT_PAGE,
    ("GET", "/me/data"): PARTICIPANT_PAGE,
    ("GET", "/me/data.json"): PARTICIPANT_PAGE,
    ("GET", "/me/data.csv"): PARTICIPANT_PAGE,
    ("GET", "/me/withdraw"): PARTICIPANT_PAGE,
    ("POST", "/me/withdraw"): Expect(303, 303, 403, 403, 403, 403),
    # The evaluator's trends (issue 9) and the admin's disclosure policy
    ("GET", "/reports"): Expect(303, 403, 403, 403, OK, OK),
    ("GET", "/reports/summary"): Expect(303, 403, 403, 403, OK, OK),
    ("GET", "/reports/funder"): Expect(303, 403, 403, 403, OK, OK),
    ("GET", "/reports/funder.csv"): Expect(303, 403, 403, 403, OK, OK),
    ("GET", "/admin/disclosure"): ADMIN_PAGE,
    ("POST", "/admin/disclosure"): Expect(303, 403, 403, 403, 403, FORM_ERROR),
    # The anonymised data package (issue 9): evaluators and admins only
    ("GET", "/exports"): Expect(303, 403, 403, 403, OK, OK),
    ("GET", "/exports/data.zip"): Expect(303, 403, 403, 403, OK, OK),
    ("POST", "/exports/tokens"): Expect(303, 403, 403, 403, OK, OK),
    ("POST", "/exports/tokens/{token_id:int}/revoke"): Expect(303, 403, 403, 403, 303, 303),
    ("GET", "/admin/participants/{participant_id:int}/erase"): ADMIN_PAGE,
    ("POST", "/admin/participants/{participant_id:int}/erase"):
        Expect(303, 403, 403, 403, 403, 303),
    # Participants who withdrew consent, waiting for erasure (issue 11 point 3)
    ("GET", "/admin/erasure"): ADMIN_PAGE,
}


@dataclass
class World:
    """Group A (coached by "coach", with a participant and a meeting) and group B."""

    coach: Any
    other_coach: Any
    evaluator: Any
    admin: Any
    group: Any
    other_group: Any
    participant: Any
    meeting: Any


async def build_world(suffix: str = "") -> World:
    """Create a world in few queries (SQLite opens a connection per query).

    Worlds with different suffixes live side by side without touching each other.
    """
    moment = now()
    password_hash = (await make_user("coach_a" + suffix)).password_hash
    await User.insert(*[
        User(username=name + suffix, display_name=name, password_hash=password_hash, role=role,
             created_at=moment)
        for name, role in (("coach_b", "coach"), ("eval", "evaluator"), ("admin", "admin"))
    ])
    users = {user.username.removesuffix(suffix): user for user in await User.objects().where(
        User.username.like(f"%{suffix}"))}
    coach, other_coach = users["coach_a"], users["coach_b"]
    evaluator, admin = users["eval"], users["admin"]
    group = await make_group("Ryhmä A", coaches=[coach])
    other_group = await make_group("Ryhmä B", coaches=[other_coach])
    participant = await make_participant(group, display_name="Aino")
    await make_participant(other_group, display_name="Bertta")
    meeting = Meeting(group=group.id, held_on=group.starts_on, duration_minutes=90,
                      themes="[]", created_at=moment, updated_at=moment)
    await meeting.save()
    return World(coach, other_coach, evaluator, admin, group, other_group, participant, meeting)


# Values for path parameters, each from the world (group A's records).
PARAMS: dict[str, Callable[[World], Awaitable[Any]]] = {}


def param(name: str):
    def register(function):
        PARAMS[name] = function
        return function
    return register


@param("participant_id")
async def _participant_id(world: World) -> int:
    return world.participant.id


@param("entry_id")
async def _entry_id(world: World) -> int:
    # News recorded after enrolment: the entry at enrolment itself may not be removed.
    entry = StatusChange(participant=world.participant.id, status="work_trial",
                         effective_on=world.participant.enrolled_on, recorded_at=now())
    await entry.save()
    return entry.id


@param("group_id")
async def _group_id(world: World) -> int:
    return world.group.id


@param("meeting_id")
async def _meeting_id(world: World) -> int:
    return world.meeting.id


@param("user_id")
async def _user_id(world: World) -> int:
    return world.coach.id


@param("number")
async def _question_number(world: World) -> int:
    return 1


@param("token")
async def _token(world: World) -> str:
    return "unknown-token-" + "x" * 30


@param("file_path")
async def _file_path(world: World) -> str:
    return "app.css"


@param("path")
async def _schema_path(world: World) -> str:
    return "no-such-viewer"


@param("token_id")
async def _token_id(world: World) -> int:
    from coach.export.tokens import create_token

    _raw, token_id = await create_token(world.evaluator.id, "script")
    return token_id


def app_routes() -> set[tuple[str, str]]:
    """Return (method, path) of every route the app serves (HEAD and OPTIONS follow GET)."""
    app = create_app(load_settings())
    return {
        (method, route.path)
        for route in app.routes
        for handler in route.route_handlers
        for method in handler.http_methods
        if method not in ("HEAD", "OPTIONS")
    }


ROUTES = app_routes()


def test_every_route_has_a_row():
    missing = sorted(ROUTES - MATRIX.keys())
    assert not missing, "add these routes to MATRIX in tests/test_access_matrix.py: " + str(
        missing)


def test_no_row_for_a_route_that_is_gone():
    assert not sorted(MATRIX.keys() - ROUTES)


async def fill_path(template: str, world: World) -> str:
    """Return the path with its parameters filled in from PARAMS."""
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        name = path[start + 1:end].split(":")[0]
        assert name in PARAMS, f"add a value for {{{name}}} to PARAMS"
        path = path[:start] + str(await PARAMS[name](world)) + path[end + 1:]
    return path


async def sign_in(client: AsyncTestClient, actor: str, world: World) -> None:
    if actor == "anonymous":
        csrf_token(client)
    elif actor == "participant":
        await sign_in_directly(client, participant=world.participant)
    else:
        await sign_in_directly(client, user=getattr(world, actor))


@pytest.fixture(scope="module")
def matrix_app(settings):
    return create_app(settings)


async def status_for(app, method: str, path: str, actor: str, world: World) -> int:
    url = await fill_path(path, world)
    async with AsyncTestClient(app=app) as client:
        await sign_in(client, actor, world)
        response = await client.request(
            method, url, headers={"accept": "text/html"}, follow_redirects=False,
            data={} if method == "POST" else None,
        )
    if actor == "anonymous" and response.status_code == 303 and not is_public(method, path):
        # Participants' pages send a stranger (or a participant whose session ended) to
        # the participants' "open your personal link" page; every other page to sign-in.
        expected = "/signed-out" if path == "/me" or path.startswith("/me/") else "/login"
        assert response.headers["location"].startswith(expected), (method, path)
    return response.status_code


def is_public(method: str, path: str) -> bool:
    """Say whether every actor gets the same answer (a public route)."""
    return len(set(MATRIX[(method, path)])) == 1


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
async def test_status(matrix_app, method: str, path: str):
    """Check one route for every actor; a write gets a world of its own per actor."""
    row = MATRIX[(method, path)]
    wrong = []
    world = await build_world()
    for number, actor in enumerate(ACTORS):
        expected = getattr(row, actor)
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if method != "GET" and number > 0:
            world = await build_world(f"_{number}")
        got = await status_for(matrix_app, method, path, actor, world)
        if got not in allowed:
            wrong.append(f"{actor}: got {got}, expected {expected}")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)
