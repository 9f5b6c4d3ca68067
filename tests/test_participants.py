"""Participants: the domain rules, then the coach's routes (add, edit, leave, news, page)."""

from __future__ import annotations

import datetime as dt

from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.forms import today
from coach.i18n import gettext
from coach.meetings.services import create_meeting
from coach.participants import services
from coach.participants.tables import Participant, StatusChange
from tests.auth_helpers import csrf_token
from tests.coach_world import HTMX, audit_actions, is_fragment, make_world, sign_in
from tests.factories import make_group, make_participant, make_user


def add_form(group, **changes) -> dict[str, str]:
    form = {
        "display_name": "Mikko", "birth_year": "1975", "gender": "male",
        "education": "upper_secondary", "status_at_entry": "unemployed",
        "unemployed_for": "12_24", "enrolled_on": group.starts_on.isoformat(),
        "consent_given_on": group.starts_on.isoformat(), "consent_version": "2.1",
    }
    form.update(changes)
    return form


# --- validation -------------------------------------------------------------------------

async def test_a_complete_add_form_is_accepted():
    group = await make_group()
    cleaned, errors = services.validate_participant(add_form(group), group, today(), adding=True)
    assert errors == {}
    assert cleaned["birth_year"] == 1975
    assert cleaned["enrolled_on"] == group.starts_on
    assert cleaned["consent_version"] == "2.1"


async def test_birth_year_must_be_between_100_and_15_years_ago():
    group = await make_group()
    year = today().year
    for bad in (str(year - 101), str(year - 14), "19x5", ""):
        _cleaned, errors = services.validate_participant(
            add_form(group, birth_year=bad), group, today(), adding=True)
        assert "birth_year" in errors, bad
    _cleaned, errors = services.validate_participant(
        add_form(group, birth_year=str(year - 15)), group, today(), adding=True)
    assert "birth_year" not in errors


async def test_coded_values_must_be_known():
    group = await make_group()
    form = add_form(group, gender="robot", education="phd", status_at_entry="retired")
    _cleaned, errors = services.validate_participant(form, group, today(), adding=True)
    assert set(errors) >= {"gender", "education", "status_at_entry"}


async def test_an_unemployed_person_needs_a_duration_and_others_get_none():
    group = await make_group()
    _c, errors = services.validate_participant(add_form(group, unemployed_for=""), group,
                                               today(), adding=True)
    assert "unemployed_for" in errors
    cleaned, errors = services.validate_participant(
        add_form(group, status_at_entry="education", unemployed_for="12_24"), group, today(),
        adding=True)
    assert errors == {}
    assert cleaned["unemployed_for"] is None


async def test_consent_date_and_version_are_required_to_add_but_not_to_edit():
    group = await make_group()
    form = add_form(group, consent_given_on="", consent_version="")
    _c, errors = services.validate_participant(form, group, today(), adding=True)
    assert set(errors) == {"consent_given_on", "consent_version"}
    _c, errors = services.validate_participant(form, group, today(), adding=False)
    assert errors == {}


async def test_consent_in_the_future_and_enrolment_outside_the_group_are_refused():
    group = await make_group()
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    before = (group.starts_on - dt.timedelta(days=1)).isoformat()
    form = add_form(group, consent_given_on=tomorrow, enrolled_on=before)
    _c, errors = services.validate_participant(form, group, today(), adding=True)
    assert set(errors) == {"consent_given_on", "enrolled_on"}


async def test_bad_dates_get_a_message_not_an_exception():
    group = await make_group()
    _c, errors = services.validate_participant(add_form(group, enrolled_on="3.3.2025"), group,
                                               today(), adding=True)
    assert errors["enrolled_on"] == gettext("Enter the date as YYYY-MM-DD.")


# --- add, edit, leave ----------------------------------------------------------------------

async def test_adding_saves_the_person_and_their_first_status():
    coach = await make_user("coach")
    group = await make_group(coaches=[coach])
    cleaned, _e = services.validate_participant(add_form(group), group, today(), adding=True)
    participant = await services.add_participant(group, cleaned, coach.id)
    saved = await Participant.objects().get(Participant.id == participant.id)
    assert saved.display_name == "Mikko"
    assert saved.consent_recorded_by == coach.id
    history = await services.status_history(participant.id)
    assert [(h["status"], h["effective_on"]) for h in history] == [
        ("unemployed", group.starts_on)]


async def test_editing_the_entry_status_updates_the_first_history_entry():
    group = await make_group()
    person = await make_participant(group)
    cleaned, errors = services.validate_participant(
        add_form(group, display_name="Anni", status_at_entry="rehabilitation",
                 enrolled_on=(group.starts_on + dt.timedelta(days=3)).isoformat()),
        group, today(), adding=False)
    assert errors == {}
    changed = await services.update_participant(person, cleaned)
    assert set(changed) >= {"display_name", "status_at_entry", "enrolled_on"}
    history = await services.status_history(person.id)
    assert [(h["status"], h["effective_on"]) for h in history] == [
        ("rehabilitation", group.starts_on + dt.timedelta(days=3))]


async def test_enrolment_cannot_move_after_recorded_news():
    group = await make_group()
    person = await make_participant(group)
    await services.record_news(person, "work_trial", group.starts_on + dt.timedelta(days=5),
                               None)
    errors = await services.check_edit(
        person, {"enrolled_on": group.starts_on + dt.timedelta(days=10)})
    assert "enrolled_on" in errors
    assert await services.check_edit(
        person, {"enrolled_on": group.starts_on + dt.timedelta(days=2)}) == {}


async def test_exit_date_must_be_between_enrolment_and_today_and_a_reason_is_needed():
    group = await make_group()
    person = await make_participant(group)
    early = (group.starts_on - dt.timedelta(days=1)).isoformat()
    late = (today() + dt.timedelta(days=1)).isoformat()
    for bad in (early, late, ""):
        _c, errors = services.validate_exit({"exited_on": bad, "exit_reason": "x"}, person,
                                            today())
        assert "exited_on" in errors
    _c, errors = services.validate_exit({"exited_on": today().isoformat(), "exit_reason": ""},
                                        person, today())
    assert set(errors) == {"exit_reason"}
    cleaned, errors = services.validate_exit(
        {"exited_on": today().isoformat(), "exit_reason": "Moved away"}, person, today())
    assert errors == {}
    await services.mark_left(person, **cleaned)
    saved = await Participant.objects().get(Participant.id == person.id)
    assert (saved.exited_on, saved.exit_reason) == (today(), "Moved away")


# --- news ----------------------------------------------------------------------------------

async def test_news_before_enrolment_or_in_the_future_is_refused():
    group = await make_group()
    person = await make_participant(group)
    for bad in (group.starts_on - dt.timedelta(days=1), today() + dt.timedelta(days=1)):
        _c, errors = services.validate_news(
            {"status": "employed_full_time", "effective_on": bad.isoformat()}, person, today())
        assert "effective_on" in errors
    _c, errors = services.validate_news({"status": "astronaut", "effective_on": ""}, person,
                                        today())
    assert set(errors) == {"status", "effective_on"}


async def test_recorded_news_becomes_the_current_status_from_its_date():
    group = await make_group()
    person = await make_participant(group)
    start = today() - dt.timedelta(days=3)
    cleaned, errors = services.validate_news(
        {"status": "employed_full_time", "effective_on": start.isoformat()}, person, today())
    assert errors == {}
    await services.record_news(person, cleaned["status"], cleaned["effective_on"], None)
    history = await services.status_history(person.id)
    assert services.current_status(history, today()) == "employed_full_time"
    assert services.current_status(history, start - dt.timedelta(days=1)) == "unemployed"
    assert await StatusChange.count().where(StatusChange.participant == person.id) == 2


async def test_overview_gathers_status_attendance_and_scores():
    group = await make_group()
    person = await make_participant(group)
    other = await make_participant(group, display_name="Ben")
    day = today() - dt.timedelta(days=7)
    await create_meeting(group.id, {"held_on": day, "duration_minutes": 60, "themes": [],
                                    "present": {person.id}, "private_note": ""}, None)
    await create_meeting(group.id, {"held_on": today(), "duration_minutes": 60, "themes": [],
                                    "present": {other.id}, "private_note": ""}, None)
    await Assessment(participant=person.id, instrument="who5", instrument_version="1",
                     taken_on=day, completed_at=now(), answers={}, raw_score=15, score=60.0,
                     band="fair", mode="invite").save()
    await services.record_news(person, "employed_part_time", today(), None)
    overview = await services.participant_overview(person, today())
    assert overview["status"] == "employed_part_time"
    assert [h["status"] for h in overview["history"]] == ["employed_part_time", "unemployed"]
    assert (overview["attended"], overview["expected"]) == (1, 2)
    assert [(s["instrument"], s["score"]) for s in overview["scores"]] == [("who5", 60.0)]


# --- the routes ---------------------------------------------------------------------------

async def test_the_add_form_has_every_field_and_the_csrf_token(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/groups/{w.group.id}/participants/new")
    assert response.status_code == 200
    for name in ("display_name", "birth_year", "gender", "education", "status_at_entry",
                 "unemployed_for", "enrolled_on", "consent_given_on", "consent_version",
                 "_csrf_token"):
        assert f'name="{name}"' in response.text, name


async def test_adding_a_participant_saves_them_and_audits(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/participants/new",
                                 data=add_form(w.group), follow_redirects=False)
    assert response.status_code == 303
    person = await Participant.objects().where(Participant.display_name == "Mikko").first()
    assert response.headers["location"] == f"/participants/{person.id}"
    assert (person.group, person.birth_year, person.consent_version) == (w.group.id, 1975, "2.1")
    [event] = await audit_actions("participant.create")
    assert event["target_id"] == person.id and event["actor_user_id"] == w.coach.id


async def test_an_invalid_participant_is_not_saved_and_errors_sit_by_the_field(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(f"/groups/{w.group.id}/participants/new",
                                 data=add_form(w.group, birth_year="1850", consent_version=""))
    assert response.status_code == 422
    assert 'id="birth_year-error"' in response.text
    assert 'id="consent_version-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert await Participant.count().where(Participant.display_name == "Mikko") == 0


async def test_adding_answers_htmx_with_the_form_block(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/participants/new"
    response = await client.post(url, data=add_form(w.group, birth_year="20"), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<form id="participant-form"')
    assert 'id="birth_year-error"' in response.text
    check = await client.post(url, data=add_form(w.group, validate_only="1"), headers=HTMX)
    assert check.status_code == 200 and "field__error" not in check.text
    assert await Participant.count().where(Participant.display_name == "Mikko") == 0


async def test_adding_needs_the_groups_coach(client):
    w = await make_world()
    url = f"/groups/{w.group.id}/participants/new"
    csrf_token(client)
    response = await client.post(url, data=add_form(w.group), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data=add_form(w.group))).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url, data=add_form(w.group))).status_code == 404
    assert (await client.get(url)).status_code == 404
    assert (await client.put(url, data=add_form(w.group))).status_code == 405
    assert await Participant.count().where(Participant.display_name == "Mikko") == 0


async def test_the_participant_page_shows_the_timelines_and_is_audited(client):
    w = await make_world()
    await record_news_for(w.anna, "work_trial", today())
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}")
    assert response.status_code == 200
    assert "Work trial" in response.text and "Unemployed" in response.text
    assert f'action="/participants/{w.anna.id}/news"' in response.text
    [event] = await audit_actions("participant.view")
    assert (event["target_type"], event["target_id"]) == ("participant", w.anna.id)


async def test_the_participant_page_is_for_their_coach_or_an_admin(client):
    w = await make_world()
    await sign_in(client, w.other_coach)
    assert (await client.get(f"/participants/{w.anna.id}")).status_code == 404
    client.cookies.clear()
    await sign_in(client, participant=w.anna)
    assert (await client.get(f"/participants/{w.anna.id}")).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.admin)
    assert (await client.get(f"/participants/{w.anna.id}")).status_code == 200
    client.cookies.clear()
    response = await client.get(f"/participants/{w.anna.id}", follow_redirects=False)
    assert response.status_code == 303


async def record_news_for(person, status, day):
    await services.record_news(person, status, day, None)


async def test_news_without_javascript_saves_and_goes_back_to_the_page(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(
        f"/participants/{w.anna.id}/news",
        data={"status": "employed_full_time", "effective_on": today().isoformat()},
        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/participants/{w.anna.id}"
    history = await services.status_history(w.anna.id)
    assert [h["status"] for h in history] == ["unemployed", "employed_full_time"]
    [event] = await audit_actions("participant.news")
    assert event["detail"]["status"] == "employed_full_time"


async def test_news_with_htmx_returns_the_updated_timeline(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.post(
        f"/participants/{w.anna.id}/news",
        data={"status": "self_employed", "effective_on": today().isoformat()}, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<section id="news"')
    assert "Self-employed" in response.text and "News saved." in response.text


async def test_news_in_the_future_or_before_enrolment_is_refused_with_a_message(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/participants/{w.anna.id}/news"
    future = (today() + dt.timedelta(days=3)).isoformat()
    response = await client.post(url, data={"status": "employed_full_time",
                                            "effective_on": future})
    assert response.status_code == 422
    assert "The date cannot be in the future." in response.text
    early = (w.anna.enrolled_on - dt.timedelta(days=1)).isoformat()
    response = await client.post(url, data={"status": "employed_full_time",
                                            "effective_on": early}, headers=HTMX)
    assert response.status_code == 200 and 'id="effective_on-error"' in response.text
    assert len(await services.status_history(w.anna.id)) == 1


async def test_news_needs_the_participants_coach(client):
    w = await make_world()
    url = f"/participants/{w.anna.id}/news"
    data = {"status": "employed_full_time", "effective_on": today().isoformat()}
    csrf_token(client)
    response = await client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data=data)).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url, data=data)).status_code == 404
    assert (await client.get(url)).status_code == 405
    client.cookies.clear()
    await sign_in(client, participant=w.anna)
    assert (await client.post(url, data=data)).status_code == 403
    assert len(await services.status_history(w.anna.id)) == 1


async def test_editing_saves_changes_and_audits_the_fields(client):
    w = await make_world()
    await sign_in(client, w.coach)
    page = await client.get(f"/participants/{w.anna.id}/edit")
    assert page.status_code == 200 and 'value="Anna"' in page.text
    assert 'name="consent_version"' not in page.text
    response = await client.post(f"/participants/{w.anna.id}/edit",
                                 data=add_form(w.group, display_name="Anni"),
                                 follow_redirects=False)
    assert response.status_code == 303
    assert (await Participant.objects().get(Participant.id == w.anna.id)).display_name == "Anni"
    [event] = await audit_actions("participant.update")
    assert "display_name" in event["detail"]["fields"]


async def test_editing_refuses_bad_values_and_other_groups(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/participants/{w.anna.id}/edit"
    response = await client.post(url, data=add_form(w.group, gender="x", display_name="Anni"))
    assert response.status_code == 422 and 'id="gender-error"' in response.text
    response = await client.post(url, data=add_form(w.group, birth_year="x"), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert 'id="birth_year-error"' in response.text
    assert (await client.put(url)).status_code == 405
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url, data=add_form(w.group, display_name="X"))).status_code == 404
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data=add_form(w.group, display_name="X"))).status_code == 403
    client.cookies.clear()
    csrf_token(client)
    response = await client.post(url, data=add_form(w.group, display_name="X"),
                                 follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await Participant.objects().get(Participant.id == w.anna.id)).display_name != "X"


async def test_marking_as_left_saves_the_date_and_reason(client):
    w = await make_world()
    await sign_in(client, w.coach)
    page = await client.get(f"/participants/{w.anna.id}/leave")
    assert page.status_code == 200 and 'name="exit_reason"' in page.text
    response = await client.post(f"/participants/{w.anna.id}/leave",
                                 data={"exited_on": today().isoformat(),
                                       "exit_reason": "Found work"},
                                 follow_redirects=False)
    assert response.status_code == 303
    saved = await Participant.objects().get(Participant.id == w.anna.id)
    assert (saved.exited_on, saved.exit_reason) == (today(), "Found work")
    assert len(await audit_actions("participant.leave")) == 1


async def test_marking_as_left_refuses_bad_input_and_others(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/participants/{w.anna.id}/leave"
    future = (today() + dt.timedelta(days=1)).isoformat()
    response = await client.post(url, data={"exited_on": future, "exit_reason": "x"})
    assert response.status_code == 422 and 'id="exited_on-error"' in response.text
    response = await client.post(url, data={"exited_on": future, "exit_reason": ""},
                                 headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert 'id="exit_reason-error"' in response.text
    assert (await client.put(url)).status_code == 405
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    data = {"exited_on": today().isoformat(), "exit_reason": "x"}
    assert (await client.post(url, data=data)).status_code == 404
    client.cookies.clear()
    await sign_in(client, w.evaluator)
    assert (await client.post(url, data=data)).status_code == 403
    client.cookies.clear()
    csrf_token(client)
    assert (await client.post(url, data=data, follow_redirects=False)).status_code == 303
    assert (await Participant.objects().get(Participant.id == w.anna.id)).exited_on is None


async def test_the_participant_page_answers_htmx_with_the_news_block(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}", headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<section id="news"')
    assert 'name="_csrf_token"' in response.text


async def test_an_admin_sees_the_erase_link_only_after_consent_is_withdrawn(client):
    world = await make_world()
    await sign_in(client, world.admin)
    page = await client.get(f"/participants/{world.anna.id}")
    assert f"/admin/participants/{world.anna.id}/erase" not in page.text
    await Participant.update({Participant.consent_withdrawn_on: world.anna.enrolled_on}).where(
        Participant.id == world.anna.id
    )
    page = await client.get(f"/participants/{world.anna.id}")
    assert f"/admin/participants/{world.anna.id}/erase" in page.text


async def test_a_coach_never_sees_the_erase_link(client):
    world = await make_world()
    await Participant.update({Participant.consent_withdrawn_on: world.anna.enrolled_on}).where(
        Participant.id == world.anna.id
    )
    await sign_in(client, world.coach)
    page = await client.get(f"/participants/{world.anna.id}")
    assert page.status_code == 200
    assert "/erase" not in page.text


async def test_an_erased_participant_is_gone_for_coaches_and_admins(client):
    world = await make_world()
    await Participant.update({Participant.erased_at: now()}).where(
        Participant.id == world.anna.id
    )
    for user in (world.coach, world.admin):
        await sign_in(client, user)
        assert (await client.get(f"/participants/{world.anna.id}")).status_code == 404


# --- removing a mistaken status entry -----------------------------------------------------

async def test_removing_refuses_the_entry_at_enrolment_and_deletes_later_news():
    group = await make_group()
    person = await make_participant(group)
    news = await services.record_news(person, "work_trial", person.enrolled_on, None)
    [first, _later] = await services.status_history(person.id)
    entry = await services.get_news_entry(person, first["id"])
    assert await services.is_entry_status(entry)
    assert await services.remove_news(entry) is False
    assert await services.remove_news(await services.get_news_entry(person, news.id)) is True
    assert [h["id"] for h in await services.status_history(person.id)] == [first["id"]]


def delete_url(person, entry_id) -> str:
    return f"/participants/{person.id}/news/{entry_id}/delete"


async def test_the_timeline_links_later_entries_to_removal_but_not_the_entry_at_enrolment(client):
    w = await make_world()
    news = await services.record_news(w.anna, "work_trial", today(), None)
    entry_id = (await services.status_history(w.anna.id))[0]["id"]
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}")
    assert f'href="{delete_url(w.anna, news.id)}"' in response.text
    assert f'hx-post="{delete_url(w.anna, news.id)}"' in response.text
    assert delete_url(w.anna, entry_id) not in response.text
    assert "Situation when joining" in response.text


async def test_removing_news_asks_first_then_removes_and_audits_without_the_name(client):
    w = await make_world()
    news = await services.record_news(w.anna, "employed_full_time", today(), None)
    await sign_in(client, w.coach)
    url = delete_url(w.anna, news.id)
    confirm = await client.get(url)
    assert confirm.status_code == 200
    assert f'action="{url}"' in confirm.text and 'method="post"' in confirm.text
    assert 'name="_csrf_token"' in confirm.text
    assert "Employed full time" in confirm.text
    assert len(await services.status_history(w.anna.id)) == 2  # asking removed nothing
    response = await client.post(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/participants/{w.anna.id}"
    assert [h["status"] for h in await services.status_history(w.anna.id)] == ["unemployed"]
    [event] = await audit_actions("participant.news.delete")
    assert (event["target_type"], event["target_id"]) == ("participant", w.anna.id)
    assert event["actor_user_id"] == w.coach.id
    assert event["detail"]["status"] == "employed_full_time"
    assert event["detail"]["effective_on"] == today().isoformat()
    assert "Anna" not in str(event["detail"])


async def test_removing_news_with_htmx_returns_the_updated_timeline(client):
    w = await make_world()
    news = await services.record_news(w.anna, "self_employed", today(), None)
    await sign_in(client, w.coach)
    response = await client.post(delete_url(w.anna, news.id), headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.text.lstrip().startswith('<section id="news"')
    assert "Entry removed." in response.text
    timeline = response.text[response.text.index('<ol class="timeline">'):]
    assert "Self-employed" not in timeline and "Unemployed" in timeline


async def test_an_admin_may_remove_news(client):
    w = await make_world()
    news = await services.record_news(w.stranger, "education", today(), None)
    await sign_in(client, w.admin)
    response = await client.post(delete_url(w.stranger, news.id), follow_redirects=False)
    assert response.status_code == 303
    assert len(await services.status_history(w.stranger.id)) == 1


async def test_the_entry_at_enrolment_is_refused_with_a_message(client):
    w = await make_world()
    entry_id = (await services.status_history(w.anna.id))[0]["id"]
    await sign_in(client, w.coach)
    url = delete_url(w.anna, entry_id)
    message = "The situation when joining cannot be removed."
    confirm = await client.get(url)
    assert confirm.status_code == 200 and message in confirm.text
    assert f'action="{url}"' not in confirm.text
    response = await client.post(url)
    assert response.status_code == 409 and message in response.text
    response = await client.post(url, headers=HTMX)
    assert response.status_code == 200 and is_fragment(response)
    assert message in response.text
    assert len(await services.status_history(w.anna.id)) == 1
    assert await audit_actions("participant.news.delete") == []


async def test_removing_news_needs_the_participants_coach_and_this_participants_entry(client):
    w = await make_world()
    news = await services.record_news(w.anna, "work_trial", today(), None)
    bens = await services.record_news(w.ben, "work_trial", today(), None)
    url = delete_url(w.anna, news.id)
    csrf_token(client)
    response = await client.post(url, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client.get(url, follow_redirects=False)).status_code == 303
    await sign_in(client, w.evaluator)
    assert (await client.post(url)).status_code == 403
    assert (await client.get(url)).status_code == 403
    client.cookies.clear()
    await sign_in(client, participant=w.anna)
    assert (await client.post(url)).status_code == 403
    client.cookies.clear()
    await sign_in(client, w.other_coach)
    assert (await client.post(url)).status_code == 404
    assert (await client.get(url)).status_code == 404
    client.cookies.clear()
    await sign_in(client, w.coach)
    assert (await client.put(url)).status_code == 405
    assert (await client.delete(url)).status_code == 405
    # Ben's entry through Anna's address, and an entry that does not exist.
    assert (await client.post(delete_url(w.anna, bens.id))).status_code == 404
    assert (await client.get(delete_url(w.anna, bens.id))).status_code == 404
    assert (await client.post(delete_url(w.anna, 999_999))).status_code == 404
    assert len(await services.status_history(w.anna.id)) == 2
    assert len(await services.status_history(w.ben.id)) == 2
    assert await audit_actions("participant.news.delete") == []


async def test_removing_news_needs_the_csrf_token(client):
    w = await make_world()
    news = await services.record_news(w.anna, "work_trial", today(), None)
    await sign_in(client, w.coach)
    client.headers.pop("x-csrftoken", None)
    response = await client.post(delete_url(w.anna, news.id), follow_redirects=False)
    assert response.status_code == 403
    assert len(await services.status_history(w.anna.id)) == 2


# --- the score charts ---------------------------------------------------------------------

async def add_score(person, instrument, day, score, band):
    await Assessment(participant=person.id, instrument=instrument, instrument_version="1",
                     taken_on=day, completed_at=now(), answers={}, raw_score=score,
                     score=score, band=band, mode="invite").save()


async def test_the_participant_page_draws_a_chart_per_instrument_above_the_table(client):
    w = await make_world()
    start = today() - dt.timedelta(days=60)
    for day, who5, was, life in ((start, 40.0, 5.0, 50.0), (today(), 72.0, 7.0, 70.0)):
        await add_score(w.anna, "who5", day, who5, "low")
        await add_score(w.anna, "was", day, was, "moderate")
        await add_score(w.anna, "lifestyle", day, life, "fair")
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}")
    assert response.status_code == 200
    text = response.text
    assert text.count('<svg viewBox="0 0 320 200" role="img"') == 3
    for key in ("who5", "was", "lifestyle"):
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in text
    assert text.count("<polyline") == 3  # two results each: a line joins them
    assert "Wellbeing (WHO-5): results over time" in text
    assert text.index('id="chart-who5-title"') < text.index("<table")  # the table stays
    assert "<td>Work ability</td>" in text
    assert " style=" not in text  # the CSP forbids inline styles


async def test_the_participant_page_has_no_chart_without_scores(client):
    w = await make_world()
    await sign_in(client, w.coach)
    response = await client.get(f"/participants/{w.anna.id}")
    assert "<svg viewBox" not in response.text
    assert "No self-assessments yet." in response.text
