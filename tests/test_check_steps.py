"""The check screen by screen (issue 11 points 6 and 7): it asks only what is due, keeps
each answer on the server between screens (post, redirect, get), bounds what it keeps,
and answers bad screen numbers and answers with a message, never a 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
import tomllib

import pytest
from litestar.testing import AsyncTestClient, TestClient

from coach.assessments.instruments import (
    INSTRUMENTS_DIR,
    InstrumentFileError,
    get_instrument,
    parse_instrument,
)
from coach.assessments.schedule import (
    DUE,
    INTERIM,
    UPCOMING,
    Cadence,
    instruments_to_ask,
    measurement_points,
    point_statuses,
)
from coach.assessments.services import save_check
from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.audit.tables import AuditEvent
from coach.auth.sessions import (
    SESSION_COOKIE,
    create_session,
    end_session_by_id,
    rotate_session,
)
from coach.choices import AssessmentMode
from coach.participant_portal import drafts
from coach.participant_portal import flow as check_flow
from coach.participant_portal.tables import CheckDraft
from tests.auth_helpers import csrf_token, set_cookie, sign_in_directly
from tests.factories import make_group, make_participant, make_user

START = dt.date(2026, 1, 5)
ALL = ["who5", "was", "lifestyle"]
CADENCES = {instrument: get_instrument(instrument).schedule for instrument in ALL}
WHO5_ANSWERS = [4, 3, 2, 3, 4]
WAS_ANSWER = 7


# --- point 7: what is due -----------------------------------------------------------------


def statuses_on(day: dt.date, taken=()):
    points = measurement_points(START, START + dt.timedelta(weeks=52), 4)
    return point_statuses(points, taken, ALL, day, CADENCES)


def test_lifestyle_has_its_own_schedule_and_the_others_come_every_time():
    assert CADENCES["who5"] == CADENCES["was"] == Cadence()
    asked = {
        (entry.point.kind, entry.point.number): entry.wanted for entry in statuses_on(START)
    }
    lifestyle_at = sorted(key for key, wanted in asked.items() if "lifestyle" in wanted)
    assert lifestyle_at == sorted([("baseline", 0), (INTERIM, 3), (INTERIM, 6), (INTERIM, 9),
                                   (INTERIM, 12), ("end", 0), ("follow_up", 0)])
    assert all({"who5", "was"} <= wanted for wanted in asked.values())


def test_at_an_interim_point_only_wellbeing_and_work_ability_are_due():
    week4 = START + dt.timedelta(weeks=4)
    statuses = statuses_on(week4)
    assert instruments_to_ask(statuses, ALL) == ["who5", "was"]
    # Both answered in the window: the point is done without the lifestyle check.
    done = statuses_on(week4, [("who5", week4), ("was", week4)])
    assert done[1].status == "done"


def test_the_lifestyle_check_comes_at_every_third_point():
    week12 = START + dt.timedelta(weeks=12)
    assert instruments_to_ask(statuses_on(week12), ALL) == ALL
    # What the point still lacks, in check order.
    assert instruments_to_ask(statuses_on(week12, [("who5", week12)]), ALL) == [
        "was", "lifestyle"]


def test_before_the_next_point_opens_a_check_asks_what_that_point_will():
    taken = [(name, START) for name in ALL]
    statuses = statuses_on(START + dt.timedelta(days=3), taken)
    upcoming = [entry for entry in statuses if entry.status == UPCOMING][0]
    assert upcoming.point.number == 1
    assert instruments_to_ask(statuses, ALL) == ["who5", "was"]
    assert instruments_to_ask([], ALL) == ALL  # no point left: everything


def test_an_old_due_list_without_cadences_still_wants_every_instrument():
    statuses = statuses_on(START + dt.timedelta(weeks=4))
    plain = point_statuses([entry.point for entry in statuses], [], ALL,
                           START + dt.timedelta(weeks=4))
    assert plain[1].status == DUE and plain[1].wanted == frozenset(ALL)


def lifestyle_file() -> dict:
    return tomllib.loads((INSTRUMENTS_DIR / "lifestyle.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("schedule", "problem"), [
    ({"interim_every": -1}, "schedule.interim_every must be 0"),
    ({"interim_every": 53}, "schedule.interim_every must be 0"),
    ({"interim_every": "3"}, "must be a whole number"),
    ({"baseline": "yes"}, "must be true or false"),
    ({"monthly": True}, "unknown field 'schedule.monthly'"),
])
def test_a_malformed_schedule_stops_start_up_with_the_reason(schedule, problem):
    data = lifestyle_file()
    data["schedule"] = schedule
    with pytest.raises(InstrumentFileError, match=re.escape(problem)):
        parse_instrument(data, "lifestyle.toml")


def test_a_file_without_a_schedule_is_asked_at_every_point():
    data = lifestyle_file()
    del data["schedule"]
    assert parse_instrument(data, "lifestyle.toml").schedule == Cadence()


@pytest.mark.parametrize(("questions", "minutes"), [(1, 1), (3, 1), (5, 2), (6, 2), (11, 4)])
def test_minutes_are_about_twenty_seconds_a_question(questions, minutes):
    assert check_flow.minutes_for(questions) == minutes


# --- draft bounds (domain) ------------------------------------------------------------------


@pytest.mark.parametrize(("ids", "answers"), [
    (["who5"], {"was": {"current": 5}}),  # an instrument not in the check
    (["who5"], {"who5": {"mood": 3}}),  # a question the instrument lacks
    (["who5"], {"who5": {"calm": 6}}),  # out of range (0-5)
    (["who5"], {"who5": {"calm": -1}}),
    (["who5"], {"who5": {"calm": "3"}}),  # text, not a number
    (["who5"], {"who5": {"calm": True}}),
    (["who5"], {"who5": [3]}),
    (["who5"], ["who5"]),
    (["who5", "who5"], {}),  # the same instrument twice
    (["swemwbs"], {}),  # not shipped
    ([], {}),
])
def test_stored_answers_the_check_cannot_have_are_refused(ids, answers):
    with pytest.raises(check_flow.FlowError):
        check_flow.restore(ids, answers)


@pytest.mark.parametrize("raw", ["", " ", "abc", "٣", "1_0", "1e3", "3.0", "9" * 5000, None])
def test_an_answer_must_be_a_few_plain_digits(raw):
    flow = check_flow.new_flow(["who5"])
    with pytest.raises(check_flow.FlowError):
        flow.choose(1, raw)
    assert flow.answers == {}


def test_questions_are_answered_in_order_and_numbered_across_the_check():
    flow = check_flow.new_flow(["who5", "was"])
    assert flow.total == 6 and flow.first_unanswered() == 1
    with pytest.raises(check_flow.NotYet):
        flow.choose(3, "2")
    for number in (0, 7):
        with pytest.raises(check_flow.FlowError):
            flow.choose(number, "2")
    flow.choose(1, " 2 ")
    assert flow.answers == {"who5": {"cheerful": 2}} and flow.first_unanswered() == 2


# --- the pages ---------------------------------------------------------------------------------


async def person_in_week(weeks: int, taken: dict[str, int] | None = None):
    """Return a participant of a group that began some weeks ago; checks done `taken` weeks ago."""
    group = await make_group(starts_on=dt.date.today() - dt.timedelta(weeks=weeks))
    participant = await make_participant(group)
    for name, weeks_ago in (taken or {}).items():
        instrument = get_instrument(name)
        answers = {item.id: min(item.values) for item in instrument.items}
        await save_check(participant.id, {name: answers}, mode=AssessmentMode.invite,
                         taken_on=dt.date.today() - dt.timedelta(weeks=weeks_ago))
    return participant


async def signed_in(client, participant, language: str = "en") -> int:
    client.cookies.set("lang", language)
    return await sign_in_directly(client, participant=participant)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def answer(client, number: int, value) -> str:
    """Post one screen's answer as the browser does; return where it sends the browser."""
    response = await client.post(f"/me/check/{number}", data={"answer": str(value)},
                                 follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


@pytest.mark.parametrize(("language", "length", "parts"), [
    ("en", "6 questions, about 2 minutes", "This time: Wellbeing (WHO-5), Work ability"),
    ("fi", "6 kysymystä, noin 2 minuuttia", "Tällä kertaa: Hyvinvointi (WHO-5), Työkyky"),
    ("sv", "6 frågor, cirka 2 minuter", "Den här gången: Välbefinnande (WHO-5), Arbetsförmåga"),
])
async def test_between_lifestyle_points_the_check_is_six_questions(client, language, length,
                                                                   parts):
    # Week 8: the second interim point is due; the baseline was done in week 0.
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant, language)
    home = text_of((await client.get("/me")).text)
    assert length in home and parts in home
    first = await client.get("/me/check")
    assert str(first.url).endswith("/me/check/1") and "1 / 6" in first.text


async def test_the_six_questions_store_wellbeing_and_work_ability_only(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    for number, value in enumerate(WHO5_ANSWERS + [WAS_ANSWER], start=1):
        after = await answer(client, number, value)
    assert after == "/me/check/review"
    review = (await client.get(after)).text
    assert "Lifestyle" not in review and "Work ability" in review
    assert (await client.post("/me/check/save", follow_redirects=False)).status_code == 303
    today_rows = await Assessment.select(Assessment.instrument).where(
        Assessment.taken_on == dt.date.today())
    assert sorted(row["instrument"] for row in today_rows) == ["was", "who5"]
    # The point is done: nothing is due until the next one.
    assert "It is time for your check." not in (await client.get("/me")).text


@pytest.mark.parametrize(("language", "length"), [
    ("en", "1 question, about 1 minute"),
    ("fi", "1 kysymys, noin 1 minuutti"),
    ("sv", "1 fråga, cirka 1 minut"),
])
async def test_one_question_left_is_said_in_the_singular(client, language, length):
    # WHO-5 already answered for this point (today): only work ability is left.
    participant = await person_in_week(8, {name: 8 for name in ALL} | {"who5": 0})
    await signed_in(client, participant, language)
    assert length in text_of((await client.get("/me")).text)
    first = await client.get("/me/check")
    assert "1 / 1" in first.text


async def test_at_the_third_point_the_lifestyle_check_comes_too(client):
    participant = await person_in_week(12, {name: 12 for name in ALL})
    await signed_in(client, participant)
    home = text_of((await client.get("/me")).text)
    assert "11 questions, about 4 minutes" in home and "Lifestyle" in home
    assert "1 / 11" in (await client.get("/me/check")).text


async def test_one_part_can_still_be_answered_at_any_time(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    page = await client.get("/me/check", params={"only": "lifestyle"})
    assert "1 / 5" in page.text
    assert (await client.get("/me/check", params={"only": "nope"},
                             follow_redirects=False)).headers["location"] == "/me"


# --- point 6: back, reload and the draft -----------------------------------------------------


async def test_each_answer_is_followed_by_a_get_of_the_next_screen(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    start = await client.get("/me/check", follow_redirects=False)
    assert (start.status_code, start.headers["location"]) == (303, "/me/check/1")
    assert await answer(client, 1, 4) == "/me/check/2"
    # Back (a GET of the screen before) shows the answer given; so does a reload.
    for _again in range(2):
        back = await client.get("/me/check/1")
        assert back.status_code == 200
        assert 'value="4" class="answer answer--chosen"' in back.text
        assert back.headers["cache-control"] == "no-store"
        assert 'hx-history="false"' in back.text
    assert await answer(client, 2, 3) == "/me/check/3"
    # Changing an earlier answer keeps the later ones.
    assert await answer(client, 1, 1) == "/me/check/2"
    second = await client.get("/me/check/2")
    assert 'value="3" class="answer answer--chosen"' in second.text
    [draft] = await CheckDraft.select().output(load_json=True)
    assert draft["answers"] == {"who5": {"cheerful": 1, "calm": 3}}
    assert draft["participant"] == participant.id and draft["instruments"] == "who5,was"
    assert await Assessment.count().where(Assessment.taken_on == dt.date.today()) == 0


async def test_the_welcome_page_offers_to_continue_a_begun_check(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    await answer(client, 2, 4)
    home = text_of((await client.get("/me")).text)
    assert "Continue the check" in home and "Answered so far: 2 / 6" in home
    again = await client.get("/me/check", follow_redirects=False)
    assert again.headers["location"] == "/me/check/3"


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/me/check/0", 404, "Page not found."),
    ("/me/check/-1", 404, "Page not found."),
    ("/me/check/7", 404, "This check has no question 7."),
    ("/me/check/2147483647", 404, "This check has no question 2147483647."),
    ("/me/check/99999999999999999999", 404, "Page not found."),
    ("/me/check/abc", 404, "Page not found."),
])
async def test_a_screen_number_the_check_lacks_says_so(client, path, status, message):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    for method in ("GET", "POST"):
        response = await client.request(method, path, data={"answer": "3"} if method == "POST"
                                        else None, follow_redirects=False)
        assert response.status_code == status, (method, path, response.text)
        assert message in text_of(response.text), (method, path)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Please answer this question."),
    ({"answer": ""}, "Please answer this question."),
    ({"answer": "6"}, "That is not one of the answers. Please choose one of them."),
    ({"answer": "-1"}, "That is not one of the answers. Please choose one of them."),
    ({"answer": "x"}, "That is not one of the answers. Please choose one of them."),
    ({"answer": "9" * 5000}, "That is not one of the answers. Please choose one of them."),
])
async def test_an_answer_out_of_range_is_refused_next_to_the_question(client, data, message):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    response = await client.post("/me/check/1", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert (f'<p class="field__error" id="question-error" role="alert">{message}</p>'
            in response.text)
    assert 'aria-describedby="question-error"' in response.text
    [draft] = await CheckDraft.select(CheckDraft.answers).output(load_json=True)
    assert draft["answers"] == {}


async def test_an_answer_without_a_begun_check_asks_to_start_again(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    response = await client.post("/me/check/1", data={"answer": "3"})
    assert response.status_code == 409 and "Please start again" in response.text
    assert (await client.post("/me/check/save")).status_code == 409
    assert await CheckDraft.count() == 0
    assert await Assessment.count() == 3  # the baseline's, made by person_in_week


async def test_a_draft_left_for_a_day_is_gone(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    await CheckDraft.update({
        CheckDraft.updated_at: now() - dt.timedelta(hours=drafts.DRAFT_HOURS, minutes=1)
    }).where(CheckDraft.participant == participant.id)
    assert (await client.post("/me/check/2", data={"answer": "3"})).status_code == 409
    # Starting again begins an empty check, and removes the old draft.
    page = await client.get("/me/check")
    assert str(page.url).endswith("/me/check/1") and "answer--chosen" not in page.text
    [draft] = await CheckDraft.select(CheckDraft.answers).output(load_json=True)
    assert draft["answers"] == {}


async def test_old_drafts_of_others_are_removed_when_a_check_begins(client, settings):
    stale = await person_in_week(8)
    _raw, stale_session = await create_session(settings, participant_id=stale.id)
    await drafts.begin(drafts.Owner(stale_session, "k" * 64, stale.id), ["was"])
    await CheckDraft.update({CheckDraft.updated_at: now() - dt.timedelta(days=2)}).where(
        CheckDraft.participant == stale.id)
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    assert [row["participant"] for row in await CheckDraft.select()] == [participant.id]


async def test_the_draft_ends_with_the_session(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    session_id = await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    assert await CheckDraft.count() == 1
    await end_session_by_id(session_id)
    assert await CheckDraft.count() == 0


async def test_another_phone_of_the_same_participant_does_not_see_the_draft(client, app):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    async with AsyncTestClient(app=app) as phone:
        await signed_in(phone, participant)
        page = await phone.get("/me/check/1")
        assert page.status_code == 200 and "answer--chosen" not in page.text
    # Its own check replaced nothing of the first phone's.
    assert 'answer--chosen' in (await client.get("/me/check/1")).text


async def test_a_new_hand_over_of_the_coachs_phone_starts_afresh(client, settings):
    coach = await make_user("coach1")
    group = await make_group(coaches=[coach], starts_on=dt.date.today())
    participant = await make_participant(group)
    session_id = await sign_in_directly(client, user=coach, together_with=participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    # Giving the phone back and handing it over again gives the session a new cookie.
    set_cookie(client, SESSION_COOKIE, await rotate_session(settings, session_id))
    page = await client.get("/me/check/1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/me/check"
    page = await client.get("/me/check")
    assert "1 / 11" in page.text and "answer--chosen" not in page.text


async def test_withdrawing_consent_removes_the_draft(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    assert (await client.post("/me/withdraw", follow_redirects=False)).status_code == 303
    assert await CheckDraft.count() == 0


async def test_after_saving_back_and_reload_lead_to_the_progress_page(client):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    for number, value in enumerate(WHO5_ANSWERS + [WAS_ANSWER], start=1):
        await answer(client, number, value)
    assert (await client.post("/me/check/save", follow_redirects=False)).status_code == 303
    for path in ("/me/check/review", "/me/check/6"):
        again = await client.get(path, follow_redirects=False)
        assert (again.status_code, again.headers["location"]) == (303, "/me/progress")
    [draft] = await CheckDraft.select().output(load_json=True)
    assert draft["answers"] == {} and draft["saved_at"] is not None  # no answers kept


# --- at the same moment -----------------------------------------------------------------------


def meet_before(monkeypatch, name: str, parties: int = 2) -> None:
    """Hold requests at drafts.<name> until all have got there: a real race, every run."""
    barrier = threading.Barrier(parties)
    original = getattr(drafts, name)

    async def racing(*args, **kwargs):
        await asyncio.to_thread(barrier.wait, 10)
        return await original(*args, **kwargs)

    monkeypatch.setattr(drafts, name, racing)


async def test_a_save_sent_four_times_at_once_stores_one_check(app, monkeypatch):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    raw, _session_id = await create_session(app.state["settings"], participant_id=participant.id)
    with TestClient(app=app) as browser:
        set_cookie(browser, SESSION_COOKIE, raw)
        csrf_token(browser)
        browser.get("/me/check")
        for number, value in enumerate(WHO5_ANSWERS + [WAS_ANSWER], start=1):
            assert browser.post(f"/me/check/{number}", data={"answer": str(value)},
                                follow_redirects=False).status_code == 303
        meet_before(monkeypatch, "save", parties=4)
        answers = await asyncio.gather(*(
            asyncio.to_thread(browser.post, "/me/check/save", follow_redirects=False)
            for _tap in range(4)))
    assert [answer.status_code for answer in answers] == [303] * 4
    assert {answer.headers["location"] for answer in answers} == {"/me/progress"}
    today_rows = await Assessment.select(Assessment.instrument).where(
        Assessment.taken_on == dt.date.today())
    assert sorted(row["instrument"] for row in today_rows) == ["was", "who5"]
    assert await AuditEvent.count().where(AuditEvent.action == "assessment.create") == 1


async def test_answers_from_two_tabs_at_once_are_both_kept(app, monkeypatch):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    raw, _session_id = await create_session(app.state["settings"], participant_id=participant.id)
    with TestClient(app=app) as one, TestClient(app=app) as two:
        for tab in (one, two):
            set_cookie(tab, SESSION_COOKIE, raw)
            csrf_token(tab)
        one.get("/me/check")
        for number in (1, 2):
            one.post(f"/me/check/{number}", data={"answer": "2"}, follow_redirects=False)
        meet_before(monkeypatch, "answer")
        first, third = await asyncio.gather(
            asyncio.to_thread(one.post, "/me/check/1", data={"answer": "5"},
                              follow_redirects=False),
            asyncio.to_thread(two.post, "/me/check/3", data={"answer": "0"},
                              follow_redirects=False))
    assert (first.status_code, third.status_code) == (303, 303)
    [draft] = await CheckDraft.select(CheckDraft.answers).output(load_json=True)
    answers = draft["answers"] if isinstance(draft["answers"], dict) else json.loads(
        draft["answers"])
    assert answers == {"who5": {"cheerful": 5, "calm": 2, "active": 0}}


async def test_a_draft_larger_than_its_bound_is_refused_and_left_as_it_was(client, monkeypatch):
    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    await answer(client, 1, 4)  # {"who5":{"cheerful":4}} is 24 bytes
    monkeypatch.setattr(drafts, "MAX_DRAFT_BYTES", 30)
    response = await client.post("/me/check/2", data={"answer": "3"}, follow_redirects=False)
    assert response.status_code == 422
    [draft] = await CheckDraft.select(CheckDraft.answers).output(load_json=True)
    assert draft["answers"] == {"who5": {"cheerful": 4}}


async def test_giving_the_phone_back_removes_the_hand_overs_unsaved_answers(client):
    from tests.factories import DEFAULT_PASSWORD

    coach = await make_user("coach1")
    group = await make_group(coaches=[coach], starts_on=dt.date.today())
    participant = await make_participant(group)
    await sign_in_directly(client, user=coach, together_with=participant)
    await client.get("/me/check")
    await answer(client, 1, 4)
    assert await CheckDraft.count() == 1
    back = await client.post("/together/end", data={"password": DEFAULT_PASSWORD},
                             follow_redirects=False)
    assert back.status_code == 303
    assert await CheckDraft.count() == 0


async def test_answers_the_instruments_refuse_at_save_are_dropped_so_the_next_start_is_fresh(
        client, monkeypatch):
    from coach.assessments.instruments import AnswerError
    from coach.participant_portal import routes as portal_routes

    participant = await person_in_week(8, {name: 8 for name in ALL})
    await signed_in(client, participant)
    await client.get("/me/check")
    for number, value in enumerate(WHO5_ANSWERS + [WAS_ANSWER], start=1):
        await answer(client, number, value)

    async def refused(*args, **kwargs):
        raise AnswerError("the instrument changed")

    monkeypatch.setattr(portal_routes, "save_check", refused)
    before = await Assessment.count()
    response = await client.post("/me/check/save", follow_redirects=False)
    assert response.status_code == 409
    assert await CheckDraft.count() == 0
    assert await Assessment.count() == before
