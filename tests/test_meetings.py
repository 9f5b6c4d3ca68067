"""Meetings: the domain rules, then the routes to log, edit and delete one."""

from __future__ import annotations

import datetime as dt

from coach.forms import today
from coach.meetings import services
from coach.meetings.tables import Attendance, Meeting
from tests.auth_helpers import csrf_token
from tests.coach_world import HTMX, audit_actions, is_fragment, make_world, sign_in
from tests.factories import make_group, make_participant


def meeting_form(**changes) -> dict[str, str]:
    form = {"held_on": today().isoformat(), "duration_minutes": "90", "private_note": ""}
    form.update(changes)
    return form


async def present_ids(meeting_id: int) -> set[int]:
    rows = await Attendance.select(Attendance.participant).where(
        (Attendance.meeting == meeting_id) & Attendance.present.eq(True)).output(as_list=True)
    return set(rows)


# --- validation -------------------------------------------------------------------------

async def test_new_form_defaults_to_today_and_the_groups_usual_length():
    group = await make_group(usual_duration_minutes=75)
    form = services.new_form(group, today())
    assert form["held_on"] == today().isoformat()
    assert form["duration_minutes"] == "75"


async def test_a_valid_meeting_form_is_cleaned():
    group = await make_group()
    cleaned, errors = services.validate_meeting(
        meeting_form(private_note=" went well "), ["sleep", "nutrition"], ["3", "4"], group,
        today())
    assert errors == {}
    assert cleaned["themes"] == ["nutrition", "sleep"]  # in the list's order
    assert cleaned["present"] == {3, 4}
    assert cleaned["private_note"] == "went well"


async def test_future_dates_dates_before_the_group_and_bad_lengths_are_refused():
    group = await make_group()
    for held_on in ((today() + dt.timedelta(days=1)).isoformat(),
                    (group.starts_on - dt.timedelta(days=1)).isoformat(), "eilen"):
        _c, errors = services.validate_meeting(meeting_form(held_on=held_on), [], [], group,
                                               today())
        assert "held_on" in errors, held_on
    for minutes in ("0", "601", "1.5", ""):
        _c, errors = services.validate_meeting(meeting_form(duration_minutes=minutes), [], [],
                                               group, today())
        assert "duration_minutes" in errors, minutes


async def test_unknown_themes_and_attendance_values_are_refused():
    group = await make_group()
    _c, errors = services.validate_meeting(meeting_form(), ["knitting"], ["x"], group, today())
    assert set(errors) == {"themes", "present"}


async def test_ticking_someone_outside_the_group_on_that_date_is_refused():
    group = await make_group()
    later = await make_participant(group, display_name="Late",
                                   enrolled_on=today() - dt.timedelta(days=1))
    cleaned, _e = services.validate_meeting(
        meeting_form(held_on=(today() - dt.timedelta(days=2)).isoformat()), [],
        [str(later.id)], group, today())
    errors = await services.check_roster(group.id, cleaned)
    assert "Late" in errors["present"]
    other_group = await make_group(name="Other")
    stranger = await make_participant(other_group, display_name="Stranger")
    cleaned, _e = services.validate_meeting(meeting_form(), [], [str(stranger.id)], group,
                                            today())
    errors = await services.check_roster(group.id, cleaned)
    assert "present" in errors and "Stranger" not in errors["present"]


# --- saving -------------------------------------------------------------------------------

async def test_a_meeting_saves_one_attendance_row_per_current_participant():
    group = await make_group()
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben")
    gone = await make_participant(group, display_name="Gone",
                                  exited_on=today() - dt.timedelta(days=10))
    cleaned, errors = services.validate_meeting(meeting_form(), ["sleep"], [str(anna.id)],
                                                group, today())
    assert errors == {} and await services.check_roster(group.id, cleaned) == {}
    meeting = await services.create_meeting(group.id, cleaned, None)
    rows = await Attendance.select(Attendance.participant, Attendance.present).where(
        Attendance.meeting == meeting.id)
    assert {(r["participant"], r["present"]) for r in rows} == {(anna.id, True),
                                                               (ben.id, False)}
    assert gone.id not in {r["participant"] for r in rows}
    saved = await Meeting.objects().get(Meeting.id == meeting.id)
    assert services.theme_list(saved.themes) == ["sleep"]


async def test_same_day_meetings_are_counted():
    group = await make_group()
    cleaned, _e = services.validate_meeting(meeting_form(), [], [], group, today())
    assert await services.same_day_count(group.id, today()) == 0
    meeting = await services.create_meeting(group.id, cleaned, None)
    assert await services.same_day_count(group.id, today()) == 1
    assert await services.same_day_count(group.id, today(), exclude_id=meeting.id) == 0


async def test_editing_changes_values_and_attendance():
    group = await make_group()
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben")
    cleaned, _e = services.validate_meeting(meeting_form(), [], [str(anna.id)], group, today())
    meeting = await services.create_meeting(group.id, cleaned, None)
    cleaned, _e = services.validate_meeting(
        meeting_form(duration_minutes="45", private_note="short"), ["finances"],
        [str(ben.id)], group, today())
    await services.update_meeting(meeting, cleaned)
    saved = await Meeting.objects().get(Meeting.id == meeting.id)
    assert (saved.duration_minutes, saved.private_note) == (45, "short")
    assert await present_ids(meeting.id) == {ben.id}
    form = await services.form_of(saved)
    assert form["themes"] == ["finances"] and form["present"] == [str(ben.id)]


async def test_one_toggle_changes_one_person():
    group = await make_group()
    anna = await make_participant(group, display_name="Anna")
    ben = await make_participant(group, display_name="Ben")
    cleaned, _e = services.validate_meeting(meeting_form(), [], [], group, today())
    meeting = await services.create_meeting(group.id, cleaned, None)
    assert await services.set_attendance(meeting, ben.id, True) is True
    assert await present_ids(meeting.id) == {ben.id}
    other = await make_participant(await make_group(name="B"), display_name="Other")
    assert await services.set_attendance(meeting, other.id, True) is False
    assert anna.id not in await present_ids(meeting.id)


async def test_deleting_removes_the_meeting_and_its_attendance():
    group = await make_group()
    await make_participant(group)
    cleaned, _e = services.validate_meeting(meeting_form(), [], [], group, today())
    meeting = await services.create_meeting(group.id, cleaned, None)
    await services.delete_meeting(meeting)
    assert await Meeting.count() == 0
    assert await Attendance.count() == 0


async def test_recent_meetings_are_newest_first_with_counts():
    group = await make_group()
    anna = await make_participant(group)
    await make_participant(group, display_name="Ben")
    for days_ago, present in ((3, [str(anna.id)]), (1, [])):
        cleaned, _e = services.validate_meeting(
            meeting_form(held_on=(today() - dt.timedelta(days=days_ago)).isoformat()), [],
            present, group, today())
        await services.create_meeting(group.id, cleaned, None)
    recent = await services.recent_meetings(group.id)
    assert [(m["present"], m["expected"]) for m in recent] == [(0, 2), (1, 2)]


# --- the routes ---------------------------------------------------------------------------

def posted(w, **changes):
    data = {"held_on": today().isoformat(), "duration_minutes": "75", "themes": ["sleep"],
            "present": [str(w.anna.id)], "private_note": "Good talk"}
    data.update(changes)
    return data


async def test_log_a_meeting_shows_defaults_and_one_toggle_per_person(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}/meetings/new")
    assert response.status_code == 200
    text = response.text
    assert f'value="{today().isoformat()}"' in text
    assert 'name="duration_minutes" value="75"' in text
    assert text.count('class="choice toggle"') == 2
    assert 'name="_csrf_token"' in text
    assert "Stranger" not in text


async def test_saving_a_meeting_stores_it_with_attendance_and_audits(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new", data=posted(w),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/groups/{w.group.id}"
    meeting = await Meeting.objects().first()
    assert (meeting.held_on, meeting.duration_minutes, meeting.private_note) == (
        today(), 75, "Good talk")
    assert services.theme_list(meeting.themes) == ["sleep"]
    assert meeting.created_by == w.coach.id
    assert await present_ids(meeting.id) == {w.anna.id}
    assert await Attendance.count().where(Attendance.meeting == meeting.id) == 2
    [event] = await audit_actions("meeting.create")
    assert event["target_id"] == meeting.id and event["actor_user_id"] == w.coach.id


async def test_an_invalid_meeting_shows_errors_by_the_field_and_saves_nothing(client):
    w = await make_world()
    await sign_in(client, w.coach)
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=posted(w, held_on=tomorrow, duration_minutes="0"))
    assert response.status_code == 422
    assert 'id="held_on-error"' in response.text and 'id="duration_minutes-error"' in response.text
    assert "The date cannot be in the future." in response.text
    assert f'value="{tomorrow}"' in response.text  # what was typed is kept
    assert await Meeting.count() == 0


async def test_htmx_gets_the_form_block_with_errors(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=posted(w, duration_minutes="abc"), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<form id="meeting-form"')
    assert 'id="duration_minutes-error"' in response.text
    assert await Meeting.count() == 0


async def test_inline_validation_checks_without_saving(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=posted(w, validate_only="1"), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert "field__error" not in response.text
    assert await Meeting.count() == 0


async def test_errors_are_in_the_users_language(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/meetings/new",
                                 data=posted(w, duration_minutes=""),
                                 headers={"accept-language": "sv"})
    assert response.status_code == 422
    assert "Ange ett tal." in response.text


async def test_a_second_meeting_on_the_same_date_needs_a_confirmation(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings/new"
    assert (await client.post(url, data=posted(w), follow_redirects=False)).status_code == 303
    response = await client.post(url, data=posted(w), follow_redirects=False)
    assert response.status_code == 200
    assert 'name="confirm_same_day"' in response.text
    assert await Meeting.count() == 1
    response = await client.post(url, data=posted(w, confirm_same_day="1"),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert await Meeting.count() == 2


async def test_logging_needs_a_coach_of_the_group(client):
    w = await make_world()
    url = f"/groups/{w.group.id}/meetings/new"
    csrf_token(client)
    response = await client.post(url, data=posted(w), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data=posted(w))).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url, data=posted(w))).status_code == 404
    assert (await client.get(url)).status_code == 404
    assert (await client.put(url, data=posted(w))).status_code == 405
    assert await Meeting.count() == 0


async def test_a_post_without_the_csrf_token_is_refused(client):
    w = await make_world()
    await sign_in(client, w.coach)
    del client.headers["x-csrftoken"]
    response = await client.post(f"/groups/{w.group.id}/meetings/new", data=posted(w))
    assert response.status_code == 403
    assert await Meeting.count() == 0


def roster_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if '"participant"."enrolled_on" <=' in sql]


def attendance_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT") and 'FROM "attendance"' in sql]


async def test_a_save_reads_the_roster_once_to_check_and_once_to_write(client, statements):
    """Issue 10: saving a meeting costs a handful of statements, whatever the group's size."""
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/meetings/new"
    for held_on in (today(), today() - dt.timedelta(days=1)):
        statements.clear()
        saved = await client.post(url, data=posted(w, held_on=held_on.isoformat()),
                                  follow_redirects=False)
        assert saved.status_code == 303
        # The session; the group; the roster (for the checks and the form); meetings that
        # day. In the transaction: the group's people, locked; the roster; the meeting; its
        # attendance. The audit event.
        assert len(statements) == 9
        assert len(roster_reads(statements)) == 2
        for n in range(10):  # a bigger group costs no more
            await make_participant(w.group, display_name=f"Uusi {n}")


async def test_an_edit_reads_the_roster_and_the_attendance_once_to_check_and_once_to_write(
        client, statements):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    statements.clear()
    saved = await client.post(f"/meetings/{meeting.id}/edit", follow_redirects=False,
                              data=posted(w, version="1", duration_minutes="60"))
    assert saved.status_code == 303
    # The session; the meeting; its group; its attendance and the roster (for the checks
    # and the form); other meetings that day. In the transaction: the group's people,
    # locked; the stored ticks; the roster; the meeting; the ticks (two updates). The audit
    # event.
    assert len(statements) == 13
    assert (len(roster_reads(statements)), len(attendance_reads(statements))) == (2, 2)


async def log_one(client, w) -> Meeting:
    await client.post(f"/groups/{w.group.id}/meetings/new", data=posted(w),
                      follow_redirects=False)
    return await Meeting.objects().first()


async def test_a_meeting_can_be_edited_and_the_change_is_audited(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    page = await client.get(f"/meetings/{meeting.id}/edit")
    assert page.status_code == 200 and "Good talk" in page.text
    assert f'hx-post="/meetings/{meeting.id}/attendance"' in page.text
    response = await client.post(
        f"/meetings/{meeting.id}/edit",
        data=posted(w, duration_minutes="60", present=[str(w.ben.id)], themes=[],
                    version="1"),
        follow_redirects=False)
    assert response.status_code == 303
    saved = await Meeting.objects().get(Meeting.id == meeting.id)
    assert saved.duration_minutes == 60 and services.theme_list(saved.themes) == []
    assert await present_ids(meeting.id) == {w.ben.id}
    [event] = await audit_actions("meeting.update")
    assert event["target_id"] == meeting.id
    assert len(await audit_actions("meeting.view")) == 1


async def test_editing_someone_elses_meeting_is_not_found(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.get(f"/meetings/{meeting.id}/edit")).status_code == 404
    response = await client.post(f"/meetings/{meeting.id}/edit",
                                 data=posted(w, duration_minutes="5"))
    assert response.status_code == 404
    assert (await Meeting.objects().first()).duration_minutes == 75
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    assert (await client.post(f"/meetings/{meeting.id}/edit", data=posted(w))).status_code == 403
    client.cookies.clear()
    csrf_token(client)
    response = await client.post(f"/meetings/{meeting.id}/edit", data=posted(w),
                                 follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client.put(f"/meetings/{meeting.id}/edit")).status_code in (303, 405)


async def test_the_edit_form_answers_htmx_with_its_block(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    response = await client.get(f"/meetings/{meeting.id}/edit", headers=HTMX)
    assert is_fragment(response) and 'id="meeting-form"' in response.text


async def test_a_toggle_saves_one_persons_attendance(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    url = f"/meetings/{meeting.id}/attendance"
    response = await client.post(url, data={"participant": str(w.ben.id),
                                            "present": [str(w.anna.id), str(w.ben.id)]},
                                 headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith(f'<li id="toggle-{w.ben.id}"')
    assert " checked" in response.text
    assert await present_ids(meeting.id) == {w.anna.id, w.ben.id}
    # Without JavaScript the same post redirects back to the edit page.
    response = await client.post(url, data={"participant": str(w.anna.id)},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/meetings/{meeting.id}/edit"
    assert await present_ids(meeting.id) == {w.ben.id}
    assert len(await audit_actions("meeting.attendance")) == 2


async def test_a_toggle_is_refused_for_others_and_strangers(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    url = f"/meetings/{meeting.id}/attendance"
    response = await client.post(url, data={"participant": str(w.stranger.id),
                                            "present": [str(w.stranger.id)]})
    assert response.status_code == 400
    assert (await client.get(url)).status_code == 405
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    response = await client.post(url, data={"participant": str(w.ben.id),
                                            "present": [str(w.ben.id)]})
    assert response.status_code == 404
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data={"participant": str(w.ben.id)})).status_code == 403
    client.cookies.clear()
    csrf_token(client)
    response = await client.post(url, data={"participant": str(w.ben.id)},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert await present_ids(meeting.id) == {w.anna.id}


async def test_a_meeting_is_deleted_after_a_confirmation_and_audited(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    page = await client.get(f"/meetings/{meeting.id}/delete")
    assert page.status_code == 200
    assert f'action="/meetings/{meeting.id}/delete"' in page.text
    assert await Meeting.count() == 1
    response = await client.post(f"/meetings/{meeting.id}/delete", follow_redirects=False)
    assert response.status_code == 303
    assert await Meeting.count() == 0 and await Attendance.count() == 0
    [event] = await audit_actions("meeting.delete")
    assert event["target_id"] == meeting.id


async def test_deleting_needs_the_groups_coach(client):
    w = await make_world()
    await sign_in(client, w.coach)
    meeting = await log_one(client, w)
    url = f"/meetings/{meeting.id}/delete"
    assert (await client.put(url)).status_code == 405
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url)).status_code == 404
    assert (await client.get(url)).status_code == 404
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    assert (await client.post(url)).status_code == 403
    client.cookies.clear()
    csrf_token(client)
    response = await client.post(url, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert await Meeting.count() == 1
