"""The funder's indicator report: counts against a count by hand, disclosure, page and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest

from coach.audit.tables import AuditEvent
from coach.choices import FUNDER_CATEGORY, FunderCategory
from coach.demo import create_demo
from coach.participants.tables import Participant, StatusChange
from coach.reports.disclosure import POLICIES, scopes
from coach.reports.funder import COLUMNS, GENDERS, count_cells, protected, shown_values
from coach.reports.funder_lines import IDENTITIES, LINE_KEYS
from coach.reports.policy import set_policy
from coach.reports.scope import group_key, load_groups
from tests.auth_helpers import sign_in_directly
from tests.coach_world import make_world, sign_in
from tests.factories import make_group, make_participant, make_user
from tests.test_participants import add_form

TODAY = dt.date(2026, 3, 18)
SECRET = "test-secret"
DAY = dt.timedelta(days=1)


# --- the count by hand: plain Python over the rows, written apart from the SQL ------------

def _status_on(history: list[dict], day: dt.date) -> dict | None:
    """Return the latest entry effective on or before the day."""
    found = None
    for entry in history:  # sorted by (effective_on, id)
        if entry["effective_on"] <= day:
            found = entry
    return found


def _lines_of(person: dict, history: list[dict], today: dt.date) -> set[str]:
    """Return the lines of the report a participant is counted on."""
    lines = {"participants"}
    entry = person["status_at_entry"]
    category = None if entry == "unknown" else FUNDER_CATEGORY[entry]
    if category is FunderCategory.unemployed:
        lines.add("co01")
        duration = person["unemployed_for"]
        lines.add({"12_24": "co02", "over_24": "co02", "under_6": "unemployed_short",
                   "6_12": "unemployed_short"}.get(duration, "duration_missing"))
    elif category is FunderCategory.inactive:
        lines |= {"co03", "co04"}
    elif category is FunderCategory.inactive_in_education:
        lines |= {"co03", "inactive_education"}
    elif category is FunderCategory.employed:
        lines.add("co05")
    else:
        lines.add("entry_unknown")
    lines.add({"none": "co09", "basic": "co09", "upper_secondary": "co10",
               "tertiary": "co11"}[person["education"]])
    exited = person["exited_on"]
    if exited is None or exited > today:
        return lines
    lines.add("leavers")
    at_exit = _status_on(history, exited + 28 * DAY)
    code = at_exit["status"] if at_exit else "unknown"
    kind = "unknown" if code == "unknown" else FUNDER_CATEGORY[code]
    lines.add({FunderCategory.employed: "cr04", FunderCategory.inactive_in_education: "cr02",
               "unknown": "exit_unknown"}.get(kind, "exit_other"))
    follow_up = exited + 182 * DAY
    if follow_up > today:
        return lines
    lines.add("followed")
    later = _status_on(history, follow_up)
    known = later is not None and later["status"] != "unknown" and later["effective_on"] > exited
    employed_later = known and FUNDER_CATEGORY[later["status"]] is FunderCategory.employed
    in_education_later = known and later["status"] == "education"
    lines.add("later_unknown" if not known else "cr06" if employed_later
              else "later_education" if in_education_later else "later_other")
    if category is FunderCategory.employed:
        lines.add("cr07_base")
        improved = known and entry in {"employed_part_time", "subsidised_employment",
                                       "apprenticeship"} and later["status"] in {
            "employed_full_time", "self_employed"}
        lines.add("cr07_unknown" if not known else "cr07" if improved else "cr07_not")
    return lines


async def count_by_hand(today: dt.date) -> dict[tuple, int]:
    """Return {(group id, line, column): count} counted one participant at a time."""
    histories = defaultdict(list)
    for row in await StatusChange.select().order_by(StatusChange.effective_on).order_by(
            StatusChange.id):
        histories[row["participant"]].append(row)
    counts: dict[tuple, int] = defaultdict(int)
    for person in await Participant.select():
        counted = person["erased_at"] is not None or (
            person["consent_given_on"] is not None and person["consent_withdrawn_on"] is None)
        if not counted:
            continue
        column = person["gender"] if person["gender"] in ("female", "male") else "other"
        for line in _lines_of(person, histories[person["id"]], today):
            counts[(person["group"], line, column)] += 1
            counts[(person["group"], line, "total")] += 1
    return counts


async def assert_counts_match_hand(today: dt.date) -> dict:
    groups = await load_groups(SECRET)
    values = await count_cells(groups, today)
    hand = await count_by_hand(today)
    for group in groups.groups:
        for line in LINE_KEYS:
            for column in COLUMNS:
                assert values[(("group", group.id), (line, column))] == hand[
                    (group.id, line, column)], (group.name, line, column)
    for line in LINE_KEYS:
        for column in COLUMNS:
            everyone = sum(hand[(g.id, line, column)] for g in groups.groups)
            assert values[(("all",), (line, column))] == everyone, (line, column)
            for year, ids in groups.by_year.items():
                assert values[(("year", year), (line, column))] == sum(
                    hand[(g, line, column)] for g in ids)
    return values


async def test_report_on_the_demo_matches_a_count_by_hand():
    await create_demo(seed=1, password="x", today=TODAY)

    values = await assert_counts_match_hand(TODAY)

    everyone = ("all",)
    assert values[(everyone, ("participants", "total"))] == 14
    # The first group has left and reached its six-month follow-up, with some news after it.
    assert values[(everyone, ("leavers", "total"))] == 7
    assert values[(everyone, ("followed", "total"))] == 7
    assert values[(everyone, ("later_unknown", "total"))] < 7


async def test_report_on_a_larger_demo_matches_a_count_by_hand():
    await create_demo(seed=4, password="x", groups=8, participants=80, today=TODAY)

    values = await assert_counts_match_hand(TODAY)

    everyone = ("all",)
    for line in ("co01", "co02", "co09", "co10", "leavers", "cr04", "followed", "cr06",
                 "later_unknown"):
        assert values[(everyone, (line, "total"))] > 0, line


async def make_people(group, specs: list[dict]) -> list:
    people = []
    for number, spec in enumerate(specs):
        history = spec.pop("history", [])
        person = await make_participant(group, display_name=f"P{number}", **spec)
        for status, day in history:
            await StatusChange(participant=person.id, status=status, effective_on=day,
                               recorded_at=person.created_at).save()
        people.append(person)
    return people


async def test_leaving_and_six_months_rules_by_hand_made_cases():
    start = TODAY - dt.timedelta(weeks=80)
    group = await make_group("Mixed", starts_on=start)
    exited = start + dt.timedelta(weeks=51)
    late = exited + 182 * DAY
    await make_people(group, [
        # employed part time at entry, full time at the follow-up: CR07 improved
        dict(status_at_entry="employed_part_time", unemployed_for=None, exited_on=exited,
             history=[("employed_full_time", late - 5 * DAY)]),
        # employed at entry, nothing heard after leaving: unknown, not a failure
        dict(status_at_entry="subsidised_employment", unemployed_for=None, exited_on=exited),
        # a job within four weeks of leaving counts upon leaving
        dict(status_at_entry="unemployed", exited_on=exited,
             history=[("employed_full_time", exited + 20 * DAY)]),
        # ... a job after four weeks does not
        dict(status_at_entry="unemployed", exited_on=exited,
             history=[("employed_full_time", exited + 40 * DAY)]),
        # an unknown status at entry stays apart from inactive
        dict(status_at_entry="unknown", unemployed_for=None, gender="not_told"),
        # unemployed without a duration: "not recorded"
        dict(status_at_entry="unemployed", unemployed_for=None, gender="other"),
        # withdrew consent: not counted
        dict(status_at_entry="education", unemployed_for=None, consent_withdrawn_on=start),
        # the news recorded at the follow-up says unknown: unknown
        dict(status_at_entry="outside_labour_force", unemployed_for=None, exited_on=exited,
             gender="male", history=[("unknown", late - DAY)]),
    ])

    values = await assert_counts_match_hand(TODAY)

    cell = lambda line: values[(("all",), (line, "total"))]  # noqa: E731
    assert cell("participants") == 7
    assert (cell("cr07_base"), cell("cr07"), cell("cr07_unknown")) == (2, 1, 1)
    assert (cell("leavers"), cell("cr04"), cell("exit_other")) == (5, 3, 2)
    assert (cell("cr06"), cell("later_unknown")) == (3, 2)
    assert (cell("entry_unknown"), cell("co03"), cell("duration_missing")) == (1, 1, 1)
    assert values[(("all",), ("entry_unknown", "other"))] == 1


# --- disclosure -------------------------------------------------------------------------

def attack_relations(groups) -> list[tuple[tuple, tuple]]:
    """Return every sum an evaluator can see, written here apart from the product's list."""
    rel = []
    every = [("group", g.id) for g in groups.groups]
    views = scopes(groups.by_year)
    for line in LINE_KEYS:
        for column in COLUMNS:
            c = (line, column)
            rel.append(((("all",), c), tuple((s, c) for s in every)))
            rel.append(((("all",), c), tuple((("year", y), c) for y in groups.by_year)))
            for year, ids in groups.by_year.items():
                rel.append(((("year", year), c), tuple((("group", g), c) for g in ids)))
        for view in views:
            rel.append(((view, (line, "total")), tuple((view, (line, g)) for g in GENDERS)))
    for total, parts in IDENTITIES:
        for view in views:
            for column in COLUMNS:
                rel.append(((view, (total, column)), tuple((view, (p, column)) for p in parts)))
    return rel


def recomputable(hidden: set, relations: list) -> set:
    """Return the hidden cells an evaluator can work out by repeated subtraction."""
    unknown = set(hidden)
    found = True
    while found:
        found = False
        for total, parts in relations:
            cells = (total, *parts)
            missing = [cell for cell in cells if cell in unknown]
            if len(missing) == 1:
                unknown.discard(missing[0])
                found = True
    return set(hidden) - unknown


@pytest.mark.parametrize("policy_name", ["standard", "strict"])
@pytest.mark.parametrize(("seed", "groups", "participants"), [(1, 2, 14), (5, 9, 75)])
async def test_no_hidden_count_can_be_worked_out_from_any_view(policy_name, seed, groups,
                                                               participants):
    await create_demo(seed=seed, password="x", groups=groups, participants=participants,
                      today=TODAY)
    policy = POLICIES[policy_name]
    info = await load_groups(SECRET)
    values = await count_cells(info, TODAY)

    hidden = protected(values, info, policy)

    relations = attack_relations(info)
    assert not recomputable(hidden, relations)
    for cell, value in values.items():
        if cell not in hidden:
            assert value >= policy.min_count, cell  # no small count and no "none" shown
    for total, parts in relations:
        shown_parts = [p for p in parts if p not in hidden]
        if total not in hidden and len(shown_parts) < len(parts):
            # What is hidden holds enough people: no "all" statement, no one exposed.
            assert sum(values[p] for p in parts if p in hidden) >= policy.min_count, total


async def test_strict_rounds_to_fives_and_sums_totals_from_rounded_parts():
    await create_demo(seed=5, password="x", groups=9, participants=75, today=TODAY)
    policy = POLICIES["strict"]
    info = await load_groups(SECRET)
    values = await count_cells(info, TODAY)
    hidden = protected(values, info, policy)

    whole_lines = 0
    for view in scopes(info.by_year):
        for line in LINE_KEYS:
            shown = shown_values(values, hidden, view, line, policy)
            assert all(value is None or value % 5 == 0 for value in shown)
            if None not in shown:
                whole_lines += 1
                assert shown[-1] == sum(shown[:-1])
    assert whole_lines > 0


async def test_standard_shows_exact_counts_of_five_or_more():
    await create_demo(seed=5, password="x", groups=9, participants=75, today=TODAY)
    policy = POLICIES["standard"]
    info = await load_groups(SECRET)
    values = await count_cells(info, TODAY)
    hidden = protected(values, info, policy)

    shown = shown_values(values, hidden, ("all",), "participants", policy)
    assert shown[-1] == 75
    assert any(value is None for line in LINE_KEYS
               for value in shown_values(values, hidden, ("all",), line, policy))


# --- the page and the CSV ---------------------------------------------------------------

async def signed_in_evaluator(client):
    evaluator = await make_user("eva", role="evaluator")
    await sign_in_directly(client, user=evaluator)
    return evaluator


async def test_page_shows_codes_definitions_policy_and_accessible_tables(client):
    await create_demo(seed=5, password="x", groups=9, participants=75, today=TODAY)
    await signed_in_evaluator(client)

    response = await client.get("/reports/funder", headers={"accept-language": "en"})

    assert response.status_code == 200
    html = response.text
    for code in ("CO01", "CO02", "CO03", "CO04", "CO05", "CO09", "CO10", "CO11", "CR02",
                 "CR04", "CR06", "CR07"):
        assert f"<td>{code}</td>" in html
    assert "ISCED 0–2" in html and "ISCED 5–8" in html
    assert "plus 182 days" in html  # the definition beside the number
    assert "Standard" in html and "Counts below 5 are hidden" in html
    assert html.count("<caption") == 4 and 'scope="row"' in html and 'scope="col"' in html
    assert 'class="table-scroll"' in html
    assert "hidden (suppressed)" in html
    assert 'method="get"' in html and 'name="group"' in html and 'name="year"' in html
    assert "Aino" not in html  # no names: demo names are Finnish first names
    for person in await Participant.select(Participant.display_name):
        assert f">{person['display_name']}<" not in html


async def test_page_and_csv_in_finnish(client):
    await create_demo(seed=1, password="x", today=TODAY)
    await signed_in_evaluator(client)

    page = await client.get("/reports/funder", headers={"accept-language": "fi"})
    assert "Pitkäaikaistyöttömät" in page.text


async def test_filters_choose_a_year_or_one_group(client):
    await create_demo(seed=5, password="x", groups=9, participants=75, today=TODAY)
    await signed_in_evaluator(client)
    info = await load_groups(client.app.state["settings"].secret_key)
    group = info.groups[0]

    by_group = await client.get(f"/reports/funder?group={group.key}",
                                headers={"accept-language": "en"})
    by_year = await client.get(f"/reports/funder?year={info.years[0]}",
                               headers={"accept-language": "en"})

    assert by_group.status_code == 200 and group.name in by_group.text
    assert f'value="{group.key}" selected' in by_group.text
    assert f"started in {info.years[0]}" in by_year.text


@pytest.mark.parametrize(("query", "status"), [
    ("group=nosuchgroup1", 404), ("group=%27%3Cb%3E", 404), ("year=1999", 404),
    ("group=%00%27", 422),  # the input guard refuses a NUL before the report reads it
    ("year=20x5", 400), ("year=99999", 400),
    ("year=%C2%B2%C2%B2%C2%B2%C2%B2", 400),  # superscript digits: isdigit() says yes, int() no
])
async def test_bad_filters_get_a_plain_message(client, query, status):
    await create_demo(seed=1, password="x", today=TODAY)
    await signed_in_evaluator(client)

    page = await client.get(f"/reports/funder?{query}", headers={"accept-language": "en"})
    download = await client.get(f"/reports/funder.csv?{query}")

    assert page.status_code == status and download.status_code == status
    assert "Traceback" not in page.text
    assert "year" in page.text.lower() or "group" in page.text.lower()


async def test_csv_has_every_indicator_marks_suppressed_and_names_the_policy(client):
    await create_demo(seed=5, password="x", groups=9, participants=75, today=TODAY)
    admin = await make_user("boss", role="admin")
    await set_policy("strict", admin.id)
    await sign_in_directly(client, user=admin)

    response = await client.get("/reports/funder.csv", headers={"accept-language": "en"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["scope", "policy", "section", "code", "indicator", "definition", "women",
                       "men", "other_or_not_told", "total"]
    body = rows[1:]
    assert len(body) == len(LINE_KEYS)
    assert {row[1] for row in body} == {"strict"}
    assert {row[3] for row in body} >= {"CO01", "CO02", "CR04", "CR06", "CR07"}
    counts = [cell for row in body for cell in row[6:]]
    assert "suppressed" in counts and "" not in counts
    assert all(cell == "suppressed" or int(cell) % 5 == 0 for cell in counts)
    assert all(row[5] for row in body)  # every indicator has its definition


async def test_csv_cells_never_start_like_a_formula(client):
    group = await make_group("=HYPERLINK(\"http://x\")", starts_on=TODAY - dt.timedelta(weeks=60))
    await make_people(group, [dict() for _ in range(6)])
    await signed_in_evaluator(client)
    key = group_key(client.app.state["settings"].secret_key, group.id)

    response = await client.get(f"/reports/funder.csv?group={key}")

    rows = list(csv.reader(io.StringIO(response.text)))
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@"):
                float(cell)  # only a number may start so
    assert rows[1][0].startswith("'=")


async def test_views_and_downloads_are_audited_without_personal_data(client):
    await create_demo(seed=1, password="x", today=TODAY)
    await signed_in_evaluator(client)

    await client.get("/reports/funder")
    await client.get("/reports/funder.csv?year=" + str(TODAY.year - 1))

    events = await AuditEvent.select().where(AuditEvent.action == "report.funder.view")
    assert len(events) == 2
    names = [row["display_name"] for row in await Participant.select(Participant.display_name)]
    for event in events:
        assert not any(name in str(event["detail"]) for name in names)


# --- CO02 needs the unemployment duration: the participant form asks for it -----------

async def test_participant_form_requires_the_duration_of_unemployment_by_the_field(client):
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/participants/new"

    missing = await client.post(url, data=add_form(w.group, unemployed_for=""))
    given = await client.post(url, data=add_form(w.group, unemployed_for="over_24"),
                              follow_redirects=False)

    assert missing.status_code == 422
    field = missing.text.split('id="unemployed_for-field"', 1)[1].split("</div>", 1)[0]
    assert 'id="unemployed_for-error"' in field and "how long" in field
    assert 'aria-invalid="true"' in field
    assert given.status_code == 303
    saved = await Participant.objects().where(Participant.display_name == "Mikko").first()
    assert saved.unemployed_for == "over_24"


async def test_a_work_trial_at_entry_also_needs_the_duration(client):
    # The funder counts a work trial as unemployed (CO01), so CO02 needs its duration too.
    w = await make_world()
    await sign_in(client, w.coach)
    url = f"/groups/{w.group.id}/participants/new"
    missing = await client.post(url, data=add_form(w.group, status_at_entry="work_trial",
                                                   unemployed_for=""))
    assert missing.status_code == 422 and 'id="unemployed_for-error"' in missing.text
    given = await client.post(url, data=add_form(w.group, status_at_entry="work_trial",
                                                 unemployed_for="12_24"), follow_redirects=False)
    assert given.status_code == 303
    saved = await Participant.objects().where(Participant.display_name == "Mikko").first()
    assert saved.unemployed_for == "12_24"
    # Any other status keeps no duration, whatever the form sent.
    await client.post(url, data=add_form(w.group, display_name="Outi", status_at_entry="education",
                                         unemployed_for="12_24"), follow_redirects=False)
    other = await Participant.objects().where(Participant.display_name == "Outi").first()
    assert other.unemployed_for is None
