"""The evaluator's trend charts and the admin's choice of disclosure policy."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Response

from coach.assessments.instruments import get_instrument
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.flash import flash
from coach.forms import text, today
from coach.i18n import gettext as _
from coach.reports import svg
from coach.reports.disclosure import POLICIES
from coach.reports.labels import scope_title, share_labels
from coach.reports.policy import current_policy, set_policy
from coach.reports.scope import Groups, Scope, ScopeError, load_groups, parse_scope
from coach.reports.summary import summary
from coach.reports.trend_report import trend_report
from coach.reports.trends import STATUS_SHARES
from coach.web import page

REPORT_ROLES = require_roles("evaluator", "admin")


class FilterError(Exception):
    """The filter names no group or year that exists; the page says so next to it."""

    def __init__(self, groups: Groups):
        super().__init__("no such group or year")
        self.groups = groups


async def report_scope(request: Request) -> tuple[Groups, Scope]:
    """Return every group and the scope the query asks for; FilterError if it fits none."""
    settings = request.app.state["settings"]
    groups = await load_groups(settings.secret_key)
    group = request.query_params.get("group")
    year = request.query_params.get("year")
    if (group and len(group) > 40) or (year and len(year) > 10):
        raise FilterError(groups)
    try:
        return groups, parse_scope(groups, group, year)
    except ScopeError:
        raise FilterError(groups) from None


def filter_error_page(request: Request, template: str, groups: Groups) -> Response:
    """Return the page with only its filter and the error next to it (400)."""
    return page(request, template, {
        "groups": groups, "scope": Scope("all"), "report": None,
        "filter_error": _("That group or year does not exist."),
    }, block="report", status_code=400)


@get("/reports", name="reports", guards=[REPORT_ROLES])
async def reports_page(request: Request) -> Response:
    """Show the anonymised trends of all groups, a cohort year or one group."""
    try:
        groups, scope = await report_scope(request)
    except FilterError as error:
        return filter_error_page(request, "reports/index.html", error.groups)
    policy = await current_policy()
    report = await trend_report(groups, policy, scope, today())
    await audit(request, "report.trends.view", "report", None,
                {"scope": scope.kind, "policy": policy.name})
    who5, was = get_instrument("who5"), get_instrument("was")
    context = {
        "groups": groups, "scope": scope, "scope_title": scope_title(scope), "policy": policy,
        "report": report, "shares": STATUS_SHARES, "share_labels": share_labels(),
        "who5": who5, "was": was,
        "who5_chart": svg.mean_chart(report.who5, 0, 100, [0, 25, 50, 75, 100]),
        "was_chart": svg.mean_chart(report.was, 0, 10, [0, 2, 4, 6, 8, 10]),
        "attendance_chart": svg.mean_chart(report.attendance, 0, 1, [0, 0.25, 0.5, 0.75, 1],
                                           percent=True),
        "status_chart": svg.share_chart(report.status),
    }
    return page(request, "reports/index.html", context, block="report")


@get("/reports/summary", name="reports.summary", guards=[REPORT_ROLES])
async def summary_page(request: Request) -> Response:
    """Show the one-page summary of all groups, a cohort year or one group."""
    try:
        groups, scope = await report_scope(request)
    except FilterError as error:
        return filter_error_page(request, "reports/summary.html", error.groups)
    policy = await current_policy()
    figures = await summary(groups, policy, scope, today())
    await audit(request, "report.summary.view", "report", None,
                {"scope": scope.kind, "policy": policy.name})
    return page(request, "reports/summary.html", {
        "groups": groups, "scope": scope, "scope_title": scope_title(scope), "policy": policy,
        "report": figures, "share_labels": share_labels(), "today": today(),
    }, block="report")


@get("/admin/disclosure", name="admin.disclosure", guards=[require_roles("admin")])
async def disclosure_page(request: Request) -> Response:
    """Show the disclosure policies and the one in force."""
    policy = await current_policy()
    return page(request, "reports/disclosure.html",
                {"policy": policy, "policies": POLICIES, "errors": {}}, block="content")


@post("/admin/disclosure", name="admin.disclosure.set", guards=[require_roles("admin")])
async def disclosure_set(request: Request) -> Response:
    """Choose the disclosure policy for every report and export."""
    data = await request.form()
    name = text(data, "policy")
    if name not in POLICIES:
        policy = await current_policy()
        return page(request, "reports/disclosure.html",
                    {"policy": policy, "policies": POLICIES,
                     "errors": {"policy": _("Choose one of the policies.")}},
                    block="content", status_code=422)
    before = await current_policy()
    await set_policy(name, request.user.user_id)
    await audit(request, "disclosure.set", "setting", None,
                {"from": before.name, "to": name})
    flash(request, _("The disclosure policy was saved."), "success")
    return Redirect(request.app.route_reverse("admin.disclosure"), status_code=303)


ROUTES = [reports_page, summary_page, disclosure_page, disclosure_set]
