"""Saving assessments, the measurement schedule and progress series (domain, no HTTP)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from coach.assessments.instruments import AnswerError, get_instrument
from coach.assessments.schedule import (
    BASELINE,
    DONE,
    DUE,
    END,
    FOLLOW_UP,
    INTERIM,
    LATE,
    MISSED,
    UPCOMING,
    add_months,
    current_point,
    measurement_points,
    point_statuses,
)
from coach.assessments.services import (
    BETTER,
    SAME,
    WORSE,
    ConsentError,
    answers_by_person,
    build_progress,
    due_entries,
    progress_of,
    save_check,
)
from coach.assessments.tables import Assessment
from coach.audit.tables import AuditEvent
from coach.choices import AssessmentMode
from coach.groups.services import participants_of
from coach.participant_portal.chart import chart_for
from coach.participants.tables import Participant
from tests.auth_helpers import login_as, login_participant, sign_in_directly
from tests.factories import make_group, make_participant, make_user, save_assessment

WHO5 = {"cheerful": 4, "calm": 3, "active": 2, "rested": 3, "interest": 4}  # 16 -> 64
START = dt.date(2026, 1, 5)


# --- saving -------------------------------------------------------------------------------


async def test_save_computes_scores_on_the_server():
    participant = await make_participant(await make_group())
    saved = await save_assessment(participant.id, "who5", WHO5, mode=AssessmentMode.invite)
    row = await Assessment.objects().get(Assessment.id == saved.id)
    assert (row.raw_score, row.score, row.band) == (16, 64.0, "good")
    assert row.instrument_version == "1998"
    assert row.mode == "invite" and row.recorded_by is None


async def test_a_check_is_dated_by_the_finnish_calendar_day(monkeypatch):
    from coach.assessments import services

    # 22:30 UTC on 1 March is 00:30 on 2 March in Helsinki.
    monkeypatch.setattr(services, "now", lambda: dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC))
    participant = await make_participant(await make_group())
    saved = await save_assessment(participant.id, "who5", WHO5, mode=AssessmentMode.invite)
    assert saved.taken_on == dt.date(2026, 3, 2)


async def test_save_check_stores_one_row_per_instrument_with_who_held_the_phone():
    coach = await make_user("coach1")
    participant = await make_participant(await make_group(coaches=[coach]))
    await save_check(
        participant.id,
        {"who5": WHO5, "was": {"current": 7}},
        mode=AssessmentMode.together,
        recorded_by=coach.id,
    )
    rows = await Assessment.select().order_by(Assessment.instrument)
    assert [(r["instrument"], r["raw_score"], r["score"], r["band"]) for r in rows] == [
        ("was", 7, 7.0, "moderate"),
        ("who5", 16, 64.0, "good"),
    ]
    assert {(r["mode"], r["recorded_by"]) for r in rows} == {("together", coach.id)}


async def test_nothing_is_stored_when_one_answer_is_out_of_range():
    participant = await make_participant(await make_group())
    with pytest.raises(AnswerError):
        await save_check(
            participant.id, {"who5": WHO5, "was": {"current": 11}}, mode=AssessmentMode.invite
        )
    assert await Assessment.count() == 0


async def test_nothing_is_stored_when_an_answer_is_missing():
    participant = await make_participant(await make_group())
    with pytest.raises(AnswerError, match="not answered"):
        await save_assessment(participant.id, "who5", {"cheerful": 3}, mode=AssessmentMode.invite)
    assert await Assessment.count() == 0


async def test_unknown_instrument_is_refused():
    participant = await make_participant(await make_group())
    with pytest.raises(AnswerError, match="unknown instrument"):
        await save_check(participant.id, {"swemwbs": {}}, mode=AssessmentMode.invite)


async def test_refused_without_recorded_consent():
    participant = await make_participant(await make_group(), consent=False)
    with pytest.raises(ConsentError):
        await save_assessment(participant.id, "was", {"current": 5}, mode=AssessmentMode.invite)
    assert await Assessment.count() == 0


async def test_refused_after_consent_is_withdrawn():
    participant = await make_participant(await make_group(), consent_withdrawn_on=dt.date.today())
    with pytest.raises(ConsentError):
        await save_assessment(participant.id, "was", {"current": 5}, mode=AssessmentMode.invite)
    assert await Assessment.count() == 0


# --- schedule ---------------------------------------------------------------------------------


def test_points_of_a_year_long_group_every_four_weeks():
    points = measurement_points(START, START + dt.timedelta(weeks=52), 4)
    kinds = [point.kind for point in points]
    assert kinds == [BASELINE] + [INTERIM] * 12 + [END, FOLLOW_UP]
    assert points[0].due_on == START
    assert points[1].due_on == START + dt.timedelta(weeks=4)
    assert points[12].due_on == START + dt.timedelta(weeks=48)
    assert points[-2].due_on == START + dt.timedelta(weeks=52)
    assert points[-1].due_on == add_months(START + dt.timedelta(weeks=52), 6)


def test_windows_do_not_overlap_and_open_a_week_early():
    points = measurement_points(START, START + dt.timedelta(weeks=52), 4)
    assert points[1].opens_on == points[1].due_on - dt.timedelta(days=7)
    for before, after in zip(points, points[1:], strict=False):
        assert before.closes_on <= after.opens_on


def test_late_enrolment_moves_the_baseline_and_skips_earlier_points():
    points = measurement_points(
        START, START + dt.timedelta(weeks=52), 4, enrolled_on=START + dt.timedelta(weeks=11)
    )
    assert points[0].kind == BASELINE and points[0].due_on == START + dt.timedelta(weeks=11)
    # 12 weeks is only 1 week after the new baseline: too soon, so the first interim is 16.
    assert points[1].due_on == START + dt.timedelta(weeks=12 + 4)


def test_leaving_early_moves_the_end_and_follow_up():
    left = START + dt.timedelta(weeks=20)
    points = measurement_points(START, START + dt.timedelta(weeks=52), 4, exited_on=left)
    assert [p.kind for p in points][-2:] == [END, FOLLOW_UP]
    assert points[-2].due_on == left
    assert points[-1].due_on == add_months(left, 6)
    assert all(p.due_on < left for p in points if p.kind == INTERIM)


def test_zero_interval_means_only_baseline_end_and_follow_up():
    points = measurement_points(START, START + dt.timedelta(weeks=10), 0)
    assert [p.kind for p in points] == [BASELINE, END, FOLLOW_UP]


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


def test_statuses_upcoming_due_late_missed_done():
    points = measurement_points(START, START + dt.timedelta(weeks=12), 4)
    baseline, first = points[0], points[1]
    taken = [("who5", START), ("was", START + dt.timedelta(days=1))]
    both = ("who5", "was")

    def status_on(day, point_index, done=taken):
        return point_statuses(points, done, both, day)[point_index].status

    assert status_on(START, 0) == DONE
    assert status_on(START, 1) == UPCOMING
    assert status_on(first.opens_on, 1) == DUE
    assert status_on(first.due_on + dt.timedelta(days=7), 1) == DUE
    assert status_on(first.due_on + dt.timedelta(days=8), 1) == LATE
    assert status_on(first.closes_on, 1) == MISSED
    # Only one of the two instruments answered: not done yet.
    assert status_on(baseline.due_on, 0, done=[("who5", START)]) == DUE


def test_current_point_prefers_due_over_upcoming():
    points = measurement_points(START, START + dt.timedelta(weeks=12), 4)
    statuses = point_statuses(points, [], ("was",), START + dt.timedelta(days=30))
    assert statuses[0].status == MISSED  # the baseline window closed when week 4's opened
    current = current_point(statuses)
    assert current.status == DUE and current.point.kind == INTERIM
    late = current_point(point_statuses(points, [], ("was",), START + dt.timedelta(days=36)))
    assert late.status == LATE and late.point.number == 1


async def test_due_entries_show_who_is_due_or_late():
    today = dt.date.today()
    group = await make_group(starts_on=today - dt.timedelta(weeks=4), weeks=52)
    done = await make_participant(group, "Done")
    late = await make_participant(group, "Late")
    await make_participant(group, "Withdrawn", consent_withdrawn_on=today)
    for name in ("who5", "was", "lifestyle"):
        instrument = get_instrument(name)
        answers = {item.id: min(item.values) for item in instrument.items}
        await save_assessment(done.id, name, answers, mode=AssessmentMode.invite)
    # The rows the group page and the home page read.
    people = await participants_of([group.id])
    taken_by_person = await answers_by_person([person["id"] for person in people])
    entries = {entry.display_name: entry
               for entry in due_entries(group, people, taken_by_person, today)}
    assert set(entries) == {"Done", "Late"}  # no checks asked of someone who withdrew
    assert entries["Done"].status == ""
    # Baseline was four weeks ago and never done; the 4-week point is due now.
    assert entries["Late"].status == DUE
    assert late.id == entries["Late"].participant_id


# --- progress ---------------------------------------------------------------------------------


def _rows(*scores):
    return [
        {"taken_on": START + dt.timedelta(weeks=4 * i), "score": s} for i, s in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("scores", "change", "words"),
    [
        ((40.0, 52.0), BETTER, "Better than at the start"),
        ((40.0, 48.0), SAME, "About the same as at the start"),
        ((60.0, 44.0, 48.0), WORSE, "Worse than at the start"),
        ((40.0,), None, "This is your first result"),
    ],
)
def test_progress_words(scores, change, words):
    progress = build_progress(get_instrument("who5"), _rows(*scores), "en")
    assert progress.change == change
    assert words in progress.change_words
    assert "depress" not in progress.change_words.lower()


def test_progress_band_words_are_in_the_participants_language():
    progress = build_progress(get_instrument("was"), _rows(4.0, 8.0), "fi")
    assert [p.band_label for p in progress.points] == ["Heikko", "Hyvä"]
    assert progress.name == "Työkyky"


async def test_progress_of_lists_each_answered_instrument_in_check_order():
    participant = await make_participant(await make_group())
    await save_assessment(
        participant.id, "was", {"current": 6}, mode=AssessmentMode.invite, taken_on=START
    )
    await save_assessment(
        participant.id,
        "was",
        {"current": 9},
        mode=AssessmentMode.invite,
        taken_on=START + dt.timedelta(weeks=4),
    )
    await save_assessment(participant.id, "who5", WHO5, mode=AssessmentMode.invite)
    series = await progress_of(participant.id, "en")
    assert [s.instrument.id for s in series] == ["who5", "was"]
    assert [p.score for p in series[1].points] == [6.0, 9.0]
    assert series[1].change == BETTER


# --- the participant's pages (HTTP) --------------------------------------------------------


class _FormReader(HTMLParser):
    """Collect the forms' actions, hidden inputs and answer buttons of a page."""

    def __init__(self):
        super().__init__()
        self.actions: list[str] = []
        self.hidden: list[tuple[str, str]] = []
        self.answers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.actions.append(attrs.get("action", ""))
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name") != "_csrf_token":
            self.hidden.append((attrs["name"], attrs.get("value", "")))
        if tag == "button" and attrs.get("name") == "answer":
            self.answers.append(attrs["value"])


def read_form(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    return reader


async def answer_screens(client, answers: list[int], start: str = "/me/check") -> str:
    """Answer the check screen by screen the way a browser does; return the last page.

    Each answer is posted to its screen's own address and answered with a redirect (303)
    to the next screen, which the client then asks for with GET, as a browser does.
    """
    page = await client.get(start)
    assert page.status_code == 200, page.text
    for value in answers:
        form = read_form(page.text)
        assert str(value) in form.answers, (value, form.answers)
        [action] = [action for action in form.actions if action.startswith("/me/check/")]
        response = await client.post(action, data={"answer": str(value)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        page = await client.get(response.headers["location"])
        assert page.status_code == 200, page.text
    return page.text


async def save_screen(client, html: str | None = None):
    return await client.post("/me/check/save", data={}, follow_redirects=False)


# WHO-5 (5), WAS (1), lifestyle (5), in check order: all three are due at the baseline.
WHO5_ANSWERS = [4, 3, 2, 3, 4]  # raw 16 -> 64, "good"
WAS_ANSWER = [7]  # "moderate"
LIFESTYLE_ANSWERS = [2, 3, 4, 1, 2]  # raw 12 -> 60, "fair"
ALL_ANSWERS = WHO5_ANSWERS + WAS_ANSWER + LIFESTYLE_ANSWERS


@pytest.fixture
async def person(client):
    client.headers["Accept-Language"] = "en"
    coach = await make_user("coach1")
    # Starting today: the baseline is due, and it asks all three instruments.
    group = await make_group(coaches=[coach], starts_on=dt.date.today())
    return coach, await make_participant(group)


async def test_invite_flow_stores_scores_equal_to_a_hand_computation(client, person):
    coach, participant = person
    await login_participant(client, participant)
    last = await answer_screens(client, ALL_ANSWERS)
    assert "Check your answers" in last
    assert await Assessment.count() == 0  # nothing stored before the answers are confirmed
    response = await save_screen(client, last)
    assert response.status_code == 303
    assert response.headers["location"] == "/me/progress"
    rows = {row["instrument"]: row for row in await Assessment.select()}
    assert (rows["who5"]["raw_score"], rows["who5"]["score"], rows["who5"]["band"]) == (
        4 + 3 + 2 + 3 + 4,
        (4 + 3 + 2 + 3 + 4) * 4.0,
        "good",
    )
    assert (rows["was"]["raw_score"], rows["was"]["band"]) == (7, "moderate")
    assert (rows["lifestyle"]["score"], rows["lifestyle"]["band"]) == (60.0, "fair")
    assert {row["mode"] for row in rows.values()} == {"invite"}
    assert {row["recorded_by"] for row in rows.values()} == {None}
    event = await AuditEvent.objects().where(AuditEvent.action == "assessment.create").first()
    assert (
        event.target_id == participant.id and event.actor_label == f"participant:{participant.id}"
    )


async def test_fill_in_together_records_the_coach(client, person):
    coach, participant = person
    await sign_in_directly(client, user=coach, together_with=participant)
    last = await answer_screens(client, ALL_ANSWERS)
    assert (await save_screen(client, last)).status_code == 303
    rows = await Assessment.select()
    assert len(rows) == 3
    assert {(row["mode"], row["recorded_by"]) for row in rows} == {("together", coach.id)}
    assert {row["participant"] for row in rows} == {participant.id}


async def test_progress_indicator_and_back_button(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    page = await answer_screens(client, [5, 4])
    assert "3 / 11" in page
    assert 'href="/me/check/2"' in page  # "Back" is a link to the previous screen
    back = await client.get("/me/check/2")
    assert "2 / 11" in back.text
    # The earlier answer (4) is shown as chosen.
    assert 'value="4" class="answer answer--chosen"' in back.text
    first = await client.get("/me/check/1")
    assert "1 / 11" in first.text and 'value="5" class="answer answer--chosen"' in first.text
    assert 'class="button button--secondary check-back" href="/me"' in first.text


async def test_one_instrument_only(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    page = await client.get("/me/check", params={"only": "was"})
    assert "1 / 1" in page.text
    done = await answer_screens(client, [9], start="/me/check/1")
    assert "Check your answers" in done
    assert (await save_screen(client, done)).status_code == 303
    assert [(r["instrument"], r["score"], r["band"]) for r in await Assessment.select()] == [
        ("was", 9.0, "good")
    ]


async def test_the_pages_carry_no_answers_only_the_csrf_token(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    last = await answer_screens(client, ALL_ANSWERS)
    question = (await client.get("/me/check/2")).text
    for page, action in ((last, "/me/check/save"), (question, "/me/check/2")):
        form = page.split(f'action="{action}"')[1].split("</form>")[0]
        # The answers stay on the server: the form's one hidden field is the CSRF token.
        assert form.count('type="hidden"') == 1 and 'name="_csrf_token"' in form, form


async def test_score_fields_sent_by_the_client_are_ignored(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    await client.get("/me/check", params={"only": "was"})
    await answer_screens(client, [3], start="/me/check/1")
    data = {"score": "10", "band": "excellent", "a:was:current": "10", "answer": "10"}
    assert (
        await client.post("/me/check/save", data=data, follow_redirects=False)
    ).status_code == 303
    [row] = await Assessment.select().output(load_json=True)
    assert (row["score"], row["band"], row["answers"]) == (3.0, "poor", {"current": 3})


async def test_save_before_every_answer_is_given_shows_the_first_unanswered(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    await answer_screens(client, WHO5_ANSWERS)
    response = await save_screen(client)
    assert response.status_code == 303 and response.headers["location"] == "/me/check/6"
    assert await Assessment.count() == 0
    review = await client.get("/me/check/review", follow_redirects=False)
    assert review.status_code == 303 and review.headers["location"] == "/me/check/6"


async def test_a_screen_cannot_skip_unanswered_questions(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    await client.get("/me/check", params={"only": "who5"})
    skipped = await client.get("/me/check/4", follow_redirects=False)
    assert skipped.status_code == 303 and skipped.headers["location"] == "/me/check/1"
    posted = await client.post("/me/check/4", data={"answer": "3"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/me/check/1"
    assert "answer--chosen" not in (await client.get("/me/check/1")).text


async def test_sending_the_same_check_twice_stores_it_once(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    last = await answer_screens(client, ALL_ANSWERS)
    first = await save_screen(client, last)
    second = await save_screen(client, last)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == "/me/progress"
    assert await Assessment.count() == 3
    assert await AuditEvent.count().where(AuditEvent.action == "assessment.create") == 1


async def test_withdrawn_consent_stops_the_check(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    last = await answer_screens(client, ALL_ANSWERS)
    await Participant.update({Participant.consent_withdrawn_on: dt.date.today()}).where(
        Participant.id == participant.id
    )
    assert (await save_screen(client, last)).status_code == 403
    assert (await client.get("/me/check")).status_code == 403
    assert (await client.get("/me/check/1")).status_code == 403
    assert (await client.post("/me/check/1", data={"answer": "3"})).status_code == 403
    assert await Assessment.count() == 0


async def test_no_recorded_consent_means_no_check(client):
    group = await make_group()
    participant = await make_participant(group, consent=False)
    await login_participant(client, participant)
    assert (await client.get("/me/check")).status_code == 403
    response = await client.post("/me/check/save", data={})
    assert response.status_code == 403
    assert await Assessment.count() == 0


async def test_progress_page_has_a_chart_and_a_table(client, person):
    _coach, participant = person
    await save_assessment(
        participant.id,
        "was",
        {"current": 4},
        mode=AssessmentMode.invite,
        taken_on=dt.date.today() - dt.timedelta(weeks=8),
    )
    await save_assessment(participant.id, "was", {"current": 7}, mode=AssessmentMode.invite)
    await login_participant(client, participant)
    page = await client.get("/me/progress")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 1 and 'role="img"' in page.text
    assert "<table>" in page.text and "Better than at the start" in page.text
    assert "Moderate" in page.text and "Poor" in page.text
    assert await AuditEvent.count().where(AuditEvent.action == "participant.progress.view") == 1


async def test_home_says_when_a_check_is_due(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    page = await client.get("/me")
    assert page.status_code == 200
    assert "Hello, Anna!" in page.text and "It is time for your check." in page.text


async def test_pages_in_finnish_and_swedish(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    for language, question in (("fi", "Olen ollut iloinen"), ("sv", "Jag har känt mig glad")):
        client.cookies.set("lang", language)
        page = await client.get("/me/check")
        assert question in page.text
        assert f'<html lang="{language}"' in page.text


async def test_staff_and_strangers_cannot_use_the_participant_pages(client, person):
    coach, _participant = person
    assert (await client.get("/me", follow_redirects=False)).status_code == 303  # to login
    await login_as(client, coach)
    for path in ("/me", "/me/check", "/me/progress", "/me/data", "/me/withdraw"):
        assert (await client.get(path)).status_code == 403, path
    response = await client.post("/me/check/save", data={"instruments": "was"})
    assert response.status_code == 403


async def test_post_without_csrf_token_is_refused(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    del client.headers["x-csrftoken"]
    response = await client.post(
        "/me/check/save", data={"instruments": "was", "a:was:current": "5", "step": "1"}
    )
    assert response.status_code == 403
    assert await Assessment.count() == 0


async def test_wrong_method_is_refused(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    assert (await client.put("/me/check/save")).status_code == 405


# --- the chart ---------------------------------------------------------------------------


def test_chart_places_dots_by_date_and_score():
    progress = build_progress(get_instrument("who5"), _rows(0.0, 100.0, 50.0), "en")
    chart = chart_for(progress)
    xs = [dot.x for dot in chart.dots]
    assert xs[0] == chart.left and xs[-1] == chart.right and xs[0] < xs[1] < xs[2]
    assert chart.dots[0].y == chart.bottom and chart.dots[1].y == chart.top
    assert chart.line.count(",") == 3


def test_chart_stripes_cover_the_plot_and_show_a_one_value_band():
    chart = chart_for(build_progress(get_instrument("was"), _rows(10.0), "en"))
    assert chart.stripes[-1].y == chart.top  # "excellent" (10 only) is at the top
    assert chart.stripes[-1].height > 0
    total = sum(stripe.height for stripe in chart.stripes)
    assert abs(total - (chart.bottom - chart.top)) < 1
    # Band names are written only where they fit; the table and words carry them anyway.
    assert chart.stripes[0].label == "Poor" and chart.stripes[-1].label == ""


def test_chart_of_a_single_result_is_centred():
    chart = chart_for(build_progress(get_instrument("was"), _rows(6.0), "en"))
    assert chart.dots[0].x == (chart.left + chart.right) / 2


async def test_back_from_the_confirmation_returns_to_the_last_question(client, person):
    _coach, participant = person
    await login_participant(client, participant)
    last = await answer_screens(client, ALL_ANSWERS)
    assert 'class="button button--secondary check-back" href="/me/check/11"' in last
    back = await client.get("/me/check/11")
    assert "11 / 11" in back.text and 'value="2" class="answer answer--chosen"' in back.text
    assert await Assessment.count() == 0
