"""A large project's reports are kept as snapshots: what is read back equals what was computed.

A project counts as large when computing took over SLOW_SECONDS; here that bound is set
to zero so that the small test project is stored too.
"""

from __future__ import annotations

import pytest

from coach.forms import today
from coach.reports import snapshot
from coach.reports.disclosure import get_policy
from coach.reports.funder import funder_report
from coach.reports.scope import load_groups, parse_scope
from coach.reports.tables import ReportSnapshot
from coach.reports.trend_report import trend_report, trend_reports
from tests.test_reports import SECRET, two_groups


@pytest.fixture
def every_report_is_slow(monkeypatch):
    monkeypatch.setattr(snapshot, "SLOW_SECONDS", 0.0)


def fields(report):
    return report.who5, report.was, report.status, report.attendance, report.changes


async def test_trends_read_back_from_the_snapshot_equal_the_computed_ones(every_report_is_slow):
    await two_groups()
    groups = await load_groups(SECRET)
    policy = get_policy("standard")
    scopes = [parse_scope(groups, None, None), parse_scope(groups, groups.groups[0].key, None)]
    direct = await trend_reports(groups, policy, today(), [scope.key for scope in scopes])
    first = await trend_report(groups, policy, scopes[0], today())
    assert first.computed_at is None  # computed (every scope at once), then stored
    stored = await ReportSnapshot.select(ReportSnapshot.scope, ReportSnapshot.payload)
    assert {row["scope"] for row in stored} >= {"all", f"group:{groups.groups[0].id}"}
    assert all(isinstance(row["payload"], str) and row["payload"].startswith("[")
               for row in stored)  # JSON text, written out once
    for scope in scopes:
        kept = await trend_report(groups, policy, scope, today())
        assert kept.computed_at is not None  # read from the snapshot
        assert fields(kept) == fields(direct[scope.key])
    assert fields(first) == fields(direct[scopes[0].key])
    assert first.who5 and first.who5[0].n == 13  # not empty: a real report


async def test_funder_report_read_back_from_the_snapshot_equals_the_computed_one(
        every_report_is_slow):
    await two_groups()
    groups = await load_groups(SECRET)
    policy = get_policy("standard")
    scope = parse_scope(groups, None, None)
    computed = await funder_report(groups, scope, policy, today())
    again = await funder_report(groups, scope, policy, today())
    assert computed.computed_at is None and again.computed_at is not None
    assert computed.sections == again.sections
    assert any(any(cell for cell in row.cells) for section in computed.sections
               for row in section.rows)
