"""Random and hostile input to every form: refused with a message, or stored and shown escaped.

Each case opens the page that holds the form, reads the form's fields from the HTML (so a
field added later is fuzzed too), and posts what hypothesis draws for each field: the
page's own value, nothing, the field twice, very long text, control characters, HTML and
SQL fragments, dates far in the past and future, numbers out of range. Whatever it sends:

- the answer is below 500;
- no answer and no page that shows the stored data holds the raw markup it was sent;
- a refusal (4xx, or the form shown again) carries a message and leaves the tables the
  form writes exactly as they were; a save changes them and the page that shows the
  saved data still opens.

Bounded for CI: derandomized (the same examples every run), 30 examples per form (12 for
the three that check or hash a password).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coach.accounts.tables import User
from coach.assessments.tables import Assessment
from coach.auth.tables import ApiToken, ThrottleEvent
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.meetings.tables import Attendance, Meeting
from coach.participant_portal.tables import CheckDraft
from coach.participants.tables import Participant, StatusChange
from coach.reports.tables import ProjectSetting
from tests.coach_world import World, make_world, sign_in


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


FUZZ = fuzz(30)
# Each of these checks or hashes a password (Argon2, about half a second): fewer examples.
FUZZ_PASSWORD_FORMS = fuzz(12)

# --- what is sent ---------------------------------------------------------------------------

# Markup that must never come back unescaped; MARKERS are its tell-tale raw pieces.
SCRIPT = "<script>alert('x')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
MARKERS = ("<script>alert", "<img src=x")
HOSTILE = [
    SCRIPT, IMAGE, "</textarea><script>alert('x')</script>", "{{ 7*7 }}{% raw %}",
    "'; DROP TABLE participant; --", "1 OR 1=1", "Robert'); DELETE FROM meeting;--",
    "%s%s%s%n", "%(name)s", "\x01\x02\x1b[31m\x7f", "\u202eevil\u202c", "\r\nSet-Cookie: x=1",
    "ääkkösiä ÅÄÖ", "🙂" * 20, "\ufeff", " ", "\t\n", "null", "undefined", "NaN", "-0",
    "../../etc/passwd", "a" * 5000, "x" * 100_000,
]
NUMBERS = ["-1", "0", "1", "59", "100000", str(2**31), str(2**63), "-" + "9" * 40, "1e309",
           "1.5", "0x10", "٣", "+5", " 7 "]
DATES = ["0001-01-01", "1899-12-31", "1900-01-01", "2100-12-31", "2101-01-01",
         "9999-12-31", "2026-02-30", "2026-13-01", "26-1-1", "1.1.2026", "-2026-01-01",
         "20260101", "2026-01-01T10:00"]

# The page's own value (or the case's valid one); another value the page offers; left out.
KEEP, OPTION, MISSING = object(), object(), object()
PICK = st.integers(min_value=0, max_value=15).map(lambda i: [i])  # one of the page's values
PICKS = st.lists(st.integers(min_value=0, max_value=15), max_size=3)  # ticked boxes


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=60),
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
                min_size=200, max_size=3000),
        st.sampled_from(HOSTILE).flatmap(lambda s: st.text(max_size=20).map(lambda t: t + s)),
    )


def any_value() -> st.SearchStrategy[Any]:
    single = st.one_of(
        hostile_text(), st.sampled_from(NUMBERS), st.sampled_from(DATES),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
        .map(dt.date.isoformat),
    )
    return st.one_of(
        st.just(KEEP), st.just(KEEP), st.just(OPTION), st.just(MISSING), single,
        st.lists(st.one_of(single, st.just(OPTION)), min_size=2, max_size=4),  # repeated
    )


# --- reading a form from its page -----------------------------------------------------------

@dataclass
class Field:
    name: str
    values: list[str] = field(default_factory=list)  # every value the page offers or fills in
    default: list[str] = field(default_factory=list)  # what a browser sends if left alone
    multiple: bool = False  # checkboxes: each ticked value is sent


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)


class FormReader(HTMLParser):
    """Collect every form of a page with its named inputs, selects, textareas and buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: Field | None = None
        self._textarea: Field | None = None

    def _add(self, name: str, value: str | None, multiple: bool = False,
             sent: bool = True) -> Field:
        fields = self.forms[-1].fields
        entry = fields.setdefault(name, Field(name, multiple=multiple))
        if value is not None:
            entry.values.append(value)
            if sent:
                entry.default.append(value)
        return entry

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower()))
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._select.values.append(a.get("value") or "")
                if "selected" in a:
                    self._select.default = [a.get("value") or ""]
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                self._add(name, a.get("value") or "on", multiple=kind == "checkbox",
                          sent="checked" in a)
            else:
                self._add(name, a.get("value") or "")
        elif tag == "button":
            self._add(name, a.get("value") or "", sent=False)  # sent only when pressed
        elif tag == "select":
            self._select = self._add(name, None)
        elif tag == "textarea":
            self._textarea = self._add(name, None)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.values.append(data)
            self._textarea.default = [data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            if self._select is not None and not self._select.default and self._select.values:
                self._select.default = self._select.values[:1]  # a browser sends the first
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and not self._textarea.values:
                self._textarea.values.append("")
                self._textarea.default = [""]
            self._textarea = None


def find_form(page: str, action: str) -> Form:
    reader = FormReader()
    reader.feed(page)
    for form in reader.forms:
        if form.action.split("?")[0] == action:
            return form
    raise AssertionError(f"no form with action {action} on the page: "
                         f"{[f.action for f in reader.forms]}")


def as_fields(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Return name -> values, the shape httpx sends as repeated fields."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def draw_submission(data: st.DataObject, form: Form,
                    valid: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Draw one hostile filling of the form; the CSRF token is always sent as the page has it.

    valid: values that make the form acceptable where the page leaves a field empty.
    """
    valid = valid or {}
    pairs: list[tuple[str, str]] = []
    # Half the time one field gets hostile input and the others keep the page's values, so
    # that hostile text is also saved and shown, not only refused with the other fields.
    focus = data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=63)),
                      label="the one hostile field")
    names = [name for name in form.fields if name != "_csrf_token"]
    for name, entry in form.fields.items():
        if name == "_csrf_token":
            pairs.append((name, entry.values[0]))
            continue
        if focus is None or names[focus % len(names)] == name:
            choice = data.draw(any_value(), label=name)
        else:
            choice = KEEP
        for value in choice if isinstance(choice, list) else [choice]:
            if value is MISSING:
                continue
            if value is KEEP:
                pairs += [(name, v) for v in ([valid[name]] if name in valid else entry.default)]
            elif value is OPTION:
                # An index, not sampled_from: the draws stay the same when a page offers one
                # more option than before, so hypothesis can replay an example.
                offered = entry.values or [""]
                picks = data.draw(PICKS if entry.multiple else PICK, label=name)
                pairs += [(name, offered[i % len(offered)]) for i in picks]
            else:
                pairs.append((name, value))
    if data.draw(st.booleans(), label="an unknown field"):
        pairs.append(("x<script>alert('x')</script>", data.draw(hostile_text())))
    return pairs


# --- checking what came back ----------------------------------------------------------------

MESSAGE_MARKS = ('role="alert"', 'class="field__error"', 'class="flash flash--',
                 "Back to the front page")


def assert_escaped(text: str, where: str) -> None:
    lowered = text.lower()
    for marker in MARKERS:
        assert marker.lower() not in lowered, f"{where} shows {marker!r} unescaped"


def has_message(text: str) -> bool:
    return any(mark in text for mark in MESSAGE_MARKS)


async def snapshot(tables: tuple) -> list[list[dict]]:
    """Return every row of the tables the form may write (the worlds here are small)."""
    return [await table.select().order_by(table._meta.primary_key) for table in tables]


@dataclass
class Case:
    """One form: who fills it in, on which page, what it may write and where that shows."""

    role: str  # an attribute of World, "participant" (Anna's invite), or "anonymous"
    page: Callable[[World], Awaitable[str]]
    action: Callable[[World], Awaitable[str]]
    writes: tuple = ()
    shown_on: Callable[[World], Awaitable[str]] | None = None
    resets: tuple = ()  # tables put back before each example, besides those it writes
    # For fields the page leaves empty; "{anna}" stands for her id.
    valid: dict[str, str] = field(default_factory=dict)

    def valid_for(self, world: World) -> dict[str, str]:
        return {name: value.format(anna=world.anna.id) for name, value in self.valid.items()}


def path(template: str) -> Callable[[World], Awaitable[str]]:
    async def fill(world: World) -> str:
        meeting = await first_meeting(world) if "{meeting}" in template else None
        return template.format(group=world.group.id, anna=world.anna.id, meeting=meeting)
    return fill


async def first_meeting(world: World) -> int:
    row = await Meeting.select(Meeting.id).where(Meeting.group == world.group.id).first()
    if row:
        return row["id"]
    meeting = Meeting(group=world.group.id, held_on=world.group.starts_on, duration_minutes=60,
                      themes="[]", private_note="", created_at=dt.datetime.now(dt.UTC),
                      updated_at=dt.datetime.now(dt.UTC))
    await meeting.save()
    return meeting.id


POST_FORMS: dict[str, Case] = {
    "sign-in": Case("anonymous", path("/login"), path("/login"), resets=(ThrottleEvent,)),
    "password change": Case("coach", path("/password"), path("/password"), (User,),
                            resets=(ThrottleEvent,)),
    "log a meeting": Case("coach", path("/groups/{group}/meetings/new"),
                          path("/groups/{group}/meetings/new"), (Meeting, Attendance),
                          path("/groups/{group}"), valid={"present": "{anna}"}),
    "edit a meeting": Case("coach", path("/meetings/{meeting}/edit"),
                           path("/meetings/{meeting}/edit"), (Meeting, Attendance),
                           path("/groups/{group}"), valid={"present": "{anna}"}),
    "add a participant": Case("coach", path("/groups/{group}/participants/new"),
                              path("/groups/{group}/participants/new"),
                              (Participant, StatusChange), path("/groups/{group}"),
                              valid={"display_name": "Maija", "birth_year": "1985",
                                     "gender": "female", "education": "basic",
                                     "status_at_entry": "unemployed",
                                     "unemployed_for": "over_24", "consent_version": "1.0"}),
    "edit a participant": Case("coach", path("/participants/{anna}/edit"),
                               path("/participants/{anna}/edit"), (Participant, StatusChange),
                               path("/participants/{anna}")),
    "news": Case("coach", path("/participants/{anna}"), path("/participants/{anna}/news"),
                 (Participant, StatusChange), path("/participants/{anna}"),
                 valid={"status": "work_trial"}),
    "leave": Case("coach", path("/participants/{anna}/leave"), path("/participants/{anna}/leave"),
                  (Participant, StatusChange), path("/participants/{anna}"),
                  valid={"exit_reason": "Found a job"}),
    "user add": Case("admin", path("/admin/users"), path("/admin/users"), (User,),
                     path("/admin/users"), valid={"username": "maija", "role": "coach",
                                                  "display_name": "Maija"}),
    "group add": Case("admin", path("/admin/groups"), path("/admin/groups"), (CoachingGroup,),
                      path("/admin/groups"), valid={"name": "Ryhmä C", "starts_on": "2026-01-05",
                                                    "ends_on": "2026-12-18"}),
    "coach to a group": Case("admin", path("/admin/groups/{group}"),
                             path("/admin/groups/{group}/coaches"), (GroupCoach,),
                             path("/admin/groups/{group}")),
    "disclosure policy": Case("admin", path("/admin/disclosure"), path("/admin/disclosure"),
                              (ProjectSetting,), path("/admin/disclosure")),
    "API token": Case("evaluator", path("/exports"), path("/exports/tokens"), (ApiToken,),
                      path("/exports")),
    "participant's check": Case("participant", path("/me/check"), path("/me/check/1"),
                                (Assessment, CheckDraft)),
}

GET_FORMS: dict[str, Case] = {
    "audit filters": Case("admin", path("/admin/audit"), path("/admin/audit")),
    "report filters": Case("evaluator", path("/reports"), path("/reports")),
}


async def signed_in(client, world: World, role: str) -> None:
    if role == "participant":
        await sign_in(client, participant=world.anna)
    elif role == "anonymous":
        client.headers["accept-language"] = "en"
        await client.get("/login")  # the CSRF cookie, as a browser gets it
    else:
        await sign_in(client, user=getattr(world, role))


@dataclass
class Fixture:
    """One world per test; every example starts from its first state again."""

    world: World | None = None
    baseline: list[list[dict]] = field(default_factory=list)

    async def start(self, client, case: Case) -> World:
        tables = case.writes + case.resets
        if self.world is None:
            self.world = await make_world()
            await case.page(self.world)  # rows a page needs (a meeting to edit) belong to it
            self.baseline = await snapshot(tables)
        else:
            await restore(tables, self.baseline)
        await signed_in(client, self.world, case.role)
        return self.world


async def restore(tables: tuple, baseline: list[list[dict]]) -> None:
    """Put the tables back as they were: rows added are deleted, rows changed are reset.

    Otherwise what an earlier example stored would change the form (a coach already
    added is no longer offered) and the examples would depend on their order.
    """
    for table, rows in reversed(list(zip(tables, baseline, strict=True))):
        key = table._meta.primary_key
        kept = [row[key._meta.name] for row in rows]
        await (table.delete().where(key.not_in(kept)) if kept else table.delete(force=True))
    for table, rows in zip(tables, baseline, strict=True):
        key = table._meta.primary_key
        now = {row[key._meta.name]: row for row in await table.select()}
        for row in rows:
            if now.get(row[key._meta.name]) != row:
                values = {table._meta.get_column_by_name(name): value
                          for name, value in row.items() if name != key._meta.name}
                await table.update(values).where(key == row[key._meta.name])


@pytest.fixture
def fixture() -> Fixture:
    return Fixture()


PASSWORD_FORMS = ("sign-in", "password change", "user add")


@pytest.mark.parametrize("name", sorted(set(POST_FORMS) - set(PASSWORD_FORMS)))
@FUZZ
@given(data=st.data())
async def test_hostile_posts_are_refused_or_stored_escaped(client, fixture, name, data):
    await post_and_check(client, fixture, name, data)


@pytest.mark.parametrize("name", PASSWORD_FORMS)
@FUZZ_PASSWORD_FORMS
@given(data=st.data())
async def test_hostile_password_forms_are_refused_or_stored_escaped(client, fixture, name, data):
    await post_and_check(client, fixture, name, data)


async def post_and_check(client, fixture: Fixture, name: str, data: st.DataObject) -> None:
    """Post one drawn filling of the form and check the answer (see the module's docstring)."""
    case = POST_FORMS[name]
    world = await fixture.start(client, case)
    page = await client.get(await case.page(world), follow_redirects=True)
    assert page.status_code == 200, page.text[:300]
    form = find_form(page.text, await case.action(world))
    sent = draw_submission(data, form, case.valid_for(world))
    before = await snapshot(case.writes)

    response = await client.post(form.action, data=as_fields(sent), follow_redirects=False)

    assert response.status_code < 500, response.text[:500]
    assert_escaped(response.text, f"the answer to {name}")
    stored = await snapshot(case.writes) != before
    event(f"{response.status_code}, {'stored' if stored else 'nothing stored'}")
    if response.status_code >= 400 or not stored:
        assert not stored, f"{name}: refused with {response.status_code} but stored"
        answer = response
        if response.status_code == 303:  # a refusal told on the next page, as a flash
            answer = await client.get(response.headers["location"])
        assert has_message(answer.text), f"{name}: refused without a message: " \
            f"{response.status_code} {html.unescape(answer.text)[:300]}"
    if stored and case.shown_on is not None:
        shown = await client.get(await case.shown_on(world))
        assert shown.status_code == 200, shown.text[:300]
        assert_escaped(shown.text, f"the page that shows {name}")


@pytest.mark.parametrize("name", sorted(GET_FORMS))
@FUZZ
@given(data=st.data())
async def test_hostile_filters_answer_below_500_and_escaped(client, fixture, name, data):
    case = GET_FORMS[name]
    world = await fixture.start(client, case)
    page = await client.get(await case.page(world), follow_redirects=True)
    assert page.status_code == 200, page.text[:300]
    form = find_form(page.text, await case.action(world))
    assert form.method == "get"
    # Values cut at 2,000 characters: a longer query is refused by the client itself.
    drawn = draw_submission(data, form, case.valid_for(world))
    sent = [(name, value[:2000]) for name, value in drawn if name != "_csrf_token"]

    response = await client.get(form.action, params=as_fields(sent))
    event(str(response.status_code))

    assert response.status_code < 500, response.text[:500]
    assert_escaped(response.text, f"the answer to {name}")
    if response.status_code >= 400:
        assert has_message(response.text), response.text[:300]


# --- the 500s this test found, each kept as a plain regression test -------------------------

async def test_a_report_filter_key_in_another_script_is_refused_not_a_500(client):
    world = await make_world()
    await sign_in(client, user=world.evaluator)
    response = await client.get("/reports", params={"group": "ääkköset"})
    assert response.status_code == 400
    assert has_message(response.text)


async def test_a_known_device_cookie_with_other_text_is_ignored_not_a_500(client):
    from coach.auth.devices import DEVICE_COOKIE
    from coach.auth.protection import CSRF_COOKIE
    from tests.auth_helpers import csrf_token

    world = await make_world()
    token = csrf_token(client)
    # A cookie's bytes are read as Latin-1: "é" reached hmac.compare_digest as a str.
    cookie = f"{DEVICE_COOKIE}=1.2.x.\u00e9; {CSRF_COOKIE}={token}".encode("latin-1")
    response = await client.post(
        "/login", data={"username": world.coach.username, "password": "not the password 1",
                        "_csrf_token": token},
        headers={"cookie": cookie, "accept-language": "en"}, follow_redirects=False)
    assert response.status_code == 422
    assert has_message(response.text)
