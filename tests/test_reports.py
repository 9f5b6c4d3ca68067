"""The evaluator's trends: SQL aggregates checked against counts by hand, and the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from coach.assessments.tables import Assessment
from coach.audit.log import now
from coach.forms import today
from coach.meetings.tables import Attendance, Meeting
from coach.participants.tables import Participant, StatusChange
from coach.reports import trends
from coach.reports.disclosure import get_policy
from coach.reports.policy import current_policy, set_policy
from coach.reports.population import fetch, months_since
from coach.reports.scope import load_groups, parse_scope
from coach.reports.trend_report import trend_report
from tests.coach_world import HTMX, audit_actions, is_fragment, sign_in
from tests.factories import make_group, make_participant, make_user

SECRET = "test-secret-key-that-is-long-enough-0123456789"


async def assess(participant, instrument: str, day: dt.date, score: float) -> None:
    await Assessment(
        participant=participant.id, instrument=instrument, instrument_version="1",
        taken_on=day, completed_at=now(), answers="{}", raw_score=int(score), score=score,
        band="x", mode="invite",
    ).save()


async def two_groups():
    """Group A: seven people, WHO-5 at months 0 and 3; group B: six people; one withdrawn."""
    start_a = today() - dt.timedelta(days=200)
    group_a = await make_group("Ryhmä A", starts_on=start_a)
    group_b = await make_group("Ryhmä B", starts_on=start_a + dt.timedelta(days=3))
    people_a = [await make_participant(group_a, display_name=f"Aino{n}") for n in range(7)]
    people_b = [await make_participant(group_b, display_name=f"Bertta{n}") for n in range(6)]
    first = [40, 52, 36, 60, 48, 44, 56]
    later = [68, 56, 64, 60, 72, 40, 80]  # changes 28, 4, 28, 0, 24, -4, 24
    for person, a, b in zip(people_a, first, later, strict=True):
        await assess(person, "who5", start_a + dt.timedelta(days=2), a)
        await assess(person, "who5", start_a + dt.timedelta(days=100), b)
    for person in people_b:
        await assess(person, "who5", group_b.starts_on, 50)
    withdrawn = await make_participant(group_a, display_name="Withdrawn",
                                       consent_withdrawn_on=today())
    await assess(withdrawn, "who5", start_a, 0)
    await assess(withdrawn, "who5", start_a + dt.timedelta(days=100), 100)
    return group_a, group_b, people_a, people_b


async def test_months_since_is_whole_months_on_both_engines():
    cases = [("2026-01-31", "2026-02-28", 0), ("2026-03-03", "2026-04-02", 0),
             ("2026-03-03", "2026-04-03", 1), ("2025-11-15", "2026-02-14", 2),
             ("2026-03-03", "2026-02-27", -1)]
    for earlier, later, expected in cases:
        assert await _months(earlier, later) == expected, (earlier, later)


async def _months(earlier: str, later: str) -> int:
    group = await make_group("M", starts_on=dt.date.fromisoformat(earlier))
    person = await make_participant(group)
    await assess(person, "was", dt.date.fromisoformat(later), 5)
    rows = await fetch(
        f"SELECT {months_since('a.taken_on', 'g.starts_on')} AS m FROM assessment a "
        "JOIN participant p ON p.id = a.participant JOIN coaching_group g ON g.id = p.\"group\" "
        "WHERE g.id = {}", group.id)
    return rows[0]["m"]


async def test_scores_by_month_count_each_consenting_person_once():
    group_a, group_b, _a, _b = await two_groups()
    sums = await trends.score_by_month("who5", today())
    assert sums[(group_a.id, 0)].n == 7  # the withdrawn participant is not counted
    assert sums[(group_a.id, 0)].total == 40 + 52 + 36 + 60 + 48 + 44 + 56
    assert sums[(group_a.id, 3)].total == 68 + 56 + 64 + 60 + 72 + 40 + 80
    assert sums[(group_b.id, 0)].n == 6
    assert (group_b.id, 3) not in sums


async def test_paired_change_and_reliable_change_by_hand():
    group_a, group_b, _a, _b = await two_groups()
    changes = await trends.paired_change("who5", 23.52, True, today())
    # changes 28, 4, 28, 0, 24, -4, 24: four exceed 23.52, none falls below -23.52
    assert changes[group_a.id].sums.n == 7
    assert changes[group_a.id].sums.total == 104
    assert changes[group_a.id].improved == 4
    assert changes[group_a.id].worsened == 0
    assert group_b.id not in changes  # one assessment each: no pair


async def test_status_shares_follow_the_history_by_month():
    group = await make_group("S", starts_on=today() - dt.timedelta(days=150))
    people = [await make_participant(group, display_name=f"P{n}") for n in range(3)]
    await StatusChange(participant=people[0].id, status="employed_full_time",
                       effective_on=group.starts_on + dt.timedelta(days=65),
                       recorded_at=now()).save()
    counts = await trends.status_by_month(today())
    assert counts[(group.id, 0, "unemployed")] == 3
    assert counts[(group.id, 1, "unemployed")] == 3
    assert counts[(group.id, 2, "unemployed")] == 2
    assert counts[(group.id, 2, "employed")] == 1
    assert not any(month > 4 for (_g, month, _s) in counts)  # nothing beyond this month


async def test_attendance_rate_by_month():
    group = await make_group("T", starts_on=today() - dt.timedelta(days=40))
    people = [await make_participant(group, display_name=f"P{n}") for n in range(5)]
    for offset in (1, 8):
        meeting = Meeting(group=group.id, held_on=group.starts_on + dt.timedelta(days=offset),
                          duration_minutes=90, themes="[]", created_at=now(), updated_at=now())
        await meeting.save()
        for index, person in enumerate(people):
            await Attendance(meeting=meeting.id, participant=person.id,
                             present=index < 4).save()
    sums = await trends.attendance_by_month(today())
    assert sums[(group.id, 0)].people == 5
    assert (sums[(group.id, 0)].expected, sums[(group.id, 0)].present) == (10, 8)


async def test_one_groups_hidden_mean_is_not_recomputable_from_all_groups():
    group_a, group_b, _a, people_b = await two_groups()
    # Group B has six people at month 0; two of them leave the counted population.
    for person in people_b[:2]:
        await Participant.update({Participant.consent_withdrawn_on: today()}).where(
            Participant.id == person.id)
    groups = await load_groups(SECRET)
    policy = get_policy("standard")
    every = await trend_report(groups, policy, parse_scope(groups, None, None), today())
    one_b = await trend_report(groups, policy, parse_scope(groups, groups.groups[1].key, None),
                               today())
    one_a = await trend_report(groups, policy, parse_scope(groups, groups.groups[0].key, None),
                               today())
    assert one_b.who5[0].suppressed  # four people
    # All groups shows month 0 (11 people), so group A's month 0 must be hidden as well.
    assert not every.who5[0].suppressed and every.who5[0].n == 11
    assert one_a.who5[0].suppressed


async def test_strict_policy_hides_means_of_five_and_rounds_n():
    group = await make_group("Five", starts_on=today() - dt.timedelta(days=30))
    for n in range(5):
        await assess(await make_participant(group, display_name=f"P{n}"), "was", group.starts_on, 5)
    groups = await load_groups(SECRET)
    scope = parse_scope(groups, None, None)
    standard = await trend_report(groups, get_policy("standard"), scope, today())
    strict = await trend_report(groups, get_policy("strict"), scope, today())
    assert standard.was[0].n == 5 and standard.was[0].mean == 5
    assert strict.was[0].suppressed


# --- the page --------------------------------------------------------------------------------

async def test_evaluator_sees_trends_without_names_or_ids(client):
    group_a, group_b, people_a, _b = await two_groups()
    evaluator = await make_user("eval", role="evaluator")
    await sign_in(client, evaluator)
    response = await client.get("/reports")
    assert response.status_code == 200
    text = response.text
    assert "Standard disclosure policy" in text
    assert "Wellbeing (WHO-5, 0–100) by month" in text
    assert "<svg" in text and "<table" in text
    for person in people_a:
        assert person.display_name not in text
    assert "Withdrawn" not in text
    # Groups are chosen by an opaque key, never by their database id.
    assert not re.search(r"[?&]group=\d+\b", text)
    assert f'value="{group_a.id}"' not in text
    assert (await audit_actions("report.trends.view"))[0]["detail"]["scope"] == "all"


async def test_group_filter_and_fragment(client):
    group_a, _b, _pa, _pb = await two_groups()
    evaluator = await make_user("eval", role="evaluator")
    await sign_in(client, evaluator)
    groups = await load_groups(client.app.state["settings"].secret_key)
    key = groups.groups[0].key
    page = await client.get(f"/reports?group={key}")
    assert page.status_code == 200 and "Ryhmä A" in page.text
    fragment = await client.get(f"/reports?group={key}", headers=HTMX)
    assert fragment.status_code == 200 and is_fragment(fragment)
    year = await client.get(f"/reports?year={group_a.starts_on.year}")
    assert year.status_code == 200


@pytest.mark.parametrize("query", ["group=123", "group=" + "a" * 500, "year=1899", "year=abcd",
                                   "year=99999999999999999999",
                                   "year=%C2%B2%C2%B2%C2%B2%C2%B2"])  # digits to isdigit, not int
async def test_bad_filter_is_a_clear_400(client, query):
    await two_groups()
    await sign_in(client, await make_user("eval", role="evaluator"))
    response = await client.get(f"/reports?{query}")
    assert response.status_code == 400
    assert "does not exist" in response.text


async def test_empty_project_says_so(client):
    await sign_in(client, await make_user("eval", role="evaluator"))
    response = await client.get("/reports")
    assert response.status_code == 200
    assert "No data yet for this chart." in response.text


async def test_admin_chooses_the_policy_and_every_page_names_it(client):
    await two_groups()
    admin = await make_user("boss", role="admin")
    await sign_in(client, admin)
    assert (await client.get("/admin/disclosure")).status_code == 200
    bad = await client.post("/admin/disclosure", data={"policy": "lenient"})
    assert bad.status_code == 422 and "Choose one of the policies." in bad.text
    assert (await current_policy()).name == "standard"
    saved = await client.post("/admin/disclosure", data={"policy": "strict"},
                              follow_redirects=False)
    assert saved.status_code == 303
    assert (await current_policy()).name == "strict"
    assert "Strict disclosure policy" in (await client.get("/reports")).text
    events = await audit_actions("disclosure.set")
    assert events[0]["detail"] == {"from": "standard", "to": "strict"}


async def test_only_admins_change_the_policy(client):
    await sign_in(client, await make_user("eval", role="evaluator"))
    response = await client.post("/admin/disclosure", data={"policy": "strict"},
                                 follow_redirects=False)
    assert response.status_code == 403
    assert (await current_policy()).name == "standard"


async def test_set_policy_twice_keeps_one_row():
    await set_policy("strict", None)
    await set_policy("standard", None)
    from coach.reports.tables import ProjectSetting
    assert await ProjectSetting.count() == 1
    with pytest.raises(ValueError):
        await set_policy("open", None)


async def test_summary_page_protects_small_groups(client):
    await two_groups()
    await sign_in(client, await make_user("eval", role="evaluator"))
    response = await client.get("/reports/summary")
    assert response.status_code == 200
    assert "Standard disclosure policy" in response.text
    assert "Aino0" not in response.text
    assert "In work or education six months after leaving" in response.text
    assert (await audit_actions("report.summary.view"))[0]["detail"] == {
        "scope": "all", "policy": "standard"}
    assert (await client.get("/reports/summary?year=1800")).status_code == 400


async def test_summary_counts_match_the_funder_report():
    from coach.reports.summary import summary

    group_a, group_b, _a, _b = await two_groups()
    groups = await load_groups(SECRET)
    scope = parse_scope(groups, None, None)
    figures = await summary(groups, get_policy("standard"), scope, today())
    # 13 counted participants (the withdrawn one is not), all women, all unemployed.
    assert figures.participants == 13
    assert figures.groups == 2
    assert figures.changes[0].n == 7  # only group A has pairs


def test_a_large_project_lists_one_years_groups_in_the_filter():
    from coach.reports.scope import LIST_ALL_GROUPS_UP_TO, GroupInfo, Groups

    infos = [GroupInfo(n, f"k{n}", f"G{n}", dt.date(2020 + n % 3, 1, 1), dt.date(2021, 1, 1))
             for n in range(LIST_ALL_GROUPS_UP_TO + 1)]
    by_year: dict[int, list[int]] = {}
    for info in infos:
        by_year.setdefault(info.year, []).append(info.id)
    groups = Groups(infos, by_year)
    assert groups.choices(None) == []
    assert {info.year for info in groups.choices(2021)} == {2021}
    small = Groups(infos[:3], {2020: [0], 2021: [1], 2022: [2]})
    assert small.choices(None) == infos[:3]


def test_the_trend_line_breaks_at_hidden_and_missing_months():
    from coach.reports.svg import mean_chart
    from coach.reports.trend_report import MeanPoint

    def point(month, mean):
        if mean is None:
            return MeanPoint(month, None, None, None, None, True)
        return MeanPoint(month, 7, mean, mean - 5, mean + 5, False)

    chart = mean_chart([point(0, 40), point(1, 45), point(2, None), point(3, 50), point(4, 52),
                        point(7, 60), point(8, 61)], 0, 100, [0, 100])
    assert len(chart.lines) == 3  # 0-1, 3-4 and 7-8; never across month 2 or months 5-6
    assert [mark.label for mark in chart.marks].count("×") == 1
    assert mean_chart([], 0, 100, [0, 100]).empty
    assert mean_chart([point(0, None)], 0, 100, [0, 100]).all_suppressed


def test_share_bars_stay_inside_their_months_room():
    from coach.reports.svg import share_chart
    from coach.reports.trend_report import SharePoint

    fifths = {share: 0.2 for share in trends.STATUS_SHARES}
    counts = {share: 2 for share in trends.STATUS_SHARES}
    chart = share_chart([SharePoint(month, 10, fifths, counts, 0.0, False)
                         for month in (0, 1, 2, 5, 6)])
    for drawn in (chart, chart.narrow):
        frame, bars = drawn.frame, drawn.bars
        assert [bar.month for bar in bars] == [0, 1, 2, 5, 6]
        for bar in bars:
            assert bar.width == pytest.approx(frame.month_width * 0.7, abs=0.05)
            assert frame.left < bar.x and bar.x + bar.width < frame.right
        for before, after in zip(bars, bars[1:], strict=False):
            assert before.x + before.width < after.x  # a gap between neighbours


async def test_a_small_project_never_stores_a_snapshot(client):
    from coach.reports.tables import ReportSnapshot

    await two_groups()
    await sign_in(client, await make_user("eval", role="evaluator"))
    for path in ("/reports", "/reports/summary", "/reports/funder"):
        response = await client.get(path)
        assert response.status_code == 200
        assert "These figures were computed at" not in response.text
    assert await ReportSnapshot.count() == 0


async def test_a_slow_report_is_kept_for_every_scope_and_named_as_such(client, monkeypatch):
    from coach.reports import snapshot
    from coach.reports.tables import ReportSnapshot

    monkeypatch.setattr(snapshot, "SLOW_SECONDS", 0.0)  # as if the project were large
    group_a, _b, people_a, _pb = await two_groups()
    await sign_in(client, await make_user("eval", role="evaluator"))
    first = await client.get("/reports")
    assert first.status_code == 200 and "These figures were computed at" not in first.text
    # One row per scope: all groups, the cohort year(s) and each group.
    groups = await load_groups(client.app.state["settings"].secret_key)
    assert await ReportSnapshot.count() == 1 + len(groups.years) + 2
    # A new assessment shows only when the snapshot is computed again.
    await assess(people_a[0], "who5", today(), 100)
    again = await client.get(f"/reports?group={groups.groups[0].key}")
    assert "These figures were computed at" in again.text
    other_policy = await client.get("/reports/funder")
    assert other_policy.status_code == 200
    kinds = {row["kind"] for row in await ReportSnapshot.select(ReportSnapshot.kind)}
    assert {kind.split(":")[0] for kind in kinds} == {"trends", "funder"}
    # Switching the policy never serves figures made under another one.
    await set_policy("strict", None)
    strict = await client.get("/reports")
    assert "Strict disclosure policy" in strict.text
    assert "These figures were computed at" not in strict.text


async def test_snapshot_payload_round_trips():
    from coach.reports.trend_report import decode, encode, trend_reports

    await two_groups()
    groups = await load_groups(SECRET)
    reports = await trend_reports(groups, get_policy("standard"), today(),
                                  [parse_scope(groups, None, None).key])
    report = next(iter(reports.values()))
    assert decode(encode(report)) == report


async def test_two_admins_choosing_at_the_same_moment_leave_one_setting():
    import asyncio

    from coach.reports.tables import ProjectSetting

    results = await asyncio.gather(set_policy("strict", None), set_policy("strict", None),
                                   set_policy("strict", None), return_exceptions=True)
    assert not [result for result in results if isinstance(result, Exception)]
    assert await ProjectSetting.count() == 1
    assert (await current_policy()).name == "strict"
