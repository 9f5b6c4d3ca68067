"""The funder's indicator report: a page and a CSV for evaluators and admins.

The CSV's columns and codes are stable, so it is in the OpenAPI document; the page is not.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.params import FromQuery, Parameter

from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.forms import today
from coach.i18n import gettext as _
from coach.openapi import (
    BY_SESSION,
    DOWNLOAD_HEADERS,
    INPUT_REFUSED,
    documented,
    json_refusal,
    redirect,
    refusal,
)
from coach.reports.disclosure import Policy
from coach.reports.funder import COLUMNS, FunderReport, funder_report
from coach.reports.funder_lines import section_titles
from coach.reports.labels import scope_title
from coach.reports.policy import current_policy
from coach.reports.scope import (
    GROUP_KEY_LENGTH,
    Groups,
    ScopeError,
    is_year_text,
    load_groups,
    parse_scope,
)
from coach.ui import url
from coach.web import page

TEMPLATE = "reports/funder.html"
SUPPRESSED = "suppressed"
CSV_HEADER = ("scope", "policy", "section", "code", "indicator", "definition",
              "women", "men", "other_or_not_told", "total")
evaluators = require_roles("evaluator", "admin")


def column_labels() -> dict[str, str]:
    """Return the heading of each column."""
    return {"female": _("Women"), "male": _("Men"), "other": _("Other or not told"),
            "total": _("Total")}


def policy_text(policy: Policy) -> tuple[str, str]:
    """Return the policy's name and what it does, in the reader's language."""
    if policy.rounding > 1:
        return _("Strict"), _("Counts of %(n)s or fewer are hidden and every count is "
                              "rounded to the nearest %(step)s; a total whose parts are all "
                              "shown is the sum of the rounded parts.") % {
            "n": policy.min_count - 1, "step": policy.rounding}
    return _("Standard"), _("Counts below %(n)s are hidden.") % {"n": policy.min_count}


def _bad_filter(status: int, message: str) -> HTTPException:
    error = HTTPException(status_code=status, detail=message)
    error.user_message = True  # type: ignore[attr-defined]  (shown on the error page)
    return error


async def _report(request: Request, group: str | None,
                  year: str | None) -> tuple[Groups, FunderReport]:
    groups = await load_groups(request.app.state["settings"].secret_key)
    typed = (year or "").strip()
    if typed and not is_year_text(typed) and not group:
        raise _bad_filter(400, _("The year must be four digits, for example 2025."))
    try:
        scope = parse_scope(groups, group, year)
    except ScopeError:
        raise _bad_filter(404, _("No group matches this filter. Choose from the list.")) from None
    report = await funder_report(groups, scope, await current_policy(), today())
    return groups, report


@get("/reports/funder", name="reports.funder", guards=[evaluators], include_in_schema=False)
async def funder_page(request: Request, group: FromQuery[str | None] = None,
                      year: FromQuery[str | None] = None) -> Response:
    """Show the ESF participant indicators by gender for the chosen groups."""
    groups, report = await _report(request, group, year)
    await audit(request, "report.funder.view", detail={"scope": report.scope.kind,
                                                       "format": "html"})
    query = urlencode(report.scope.query())
    csv_url = (url(request, "reports.funder_csv") or "") + (f"?{query}" if query else "")
    name, description = policy_text(report.policy)
    return page(request, TEMPLATE, {
        "report": report, "groups": groups, "scope_name": scope_title(report.scope),
        "titles": section_titles(), "columns": COLUMNS, "column_labels": column_labels(),
        "policy_name": name, "policy_description": description, "csv_url": csv_url,
    }, block="report")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _numeric(text):
        # Spreadsheet programs would run a cell that starts like a formula.
        return "'" + text
    return text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_csv(report: FunderReport) -> str:
    """Return the report as CSV: one row per indicator, counts by gender, "suppressed" marked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    titles, scope = section_titles(), scope_title(report.scope)
    policy = report.policy.name  # the stable code: "standard" or "strict"
    for section in report.sections:
        for row in section.rows:
            counts = [SUPPRESSED if value is None else value for value in row.cells]
            writer.writerow([_cell(value) for value in (
                scope, policy, titles[section.key], row.line.code, row.line.name,
                row.line.definition, *counts)])
    return out.getvalue()


CSV_DOCS = documented({
    200: OpenAPIResponse(
        description="One row per indicator; a hidden count says `suppressed`.",
        headers=DOWNLOAD_HEADERS,
        content={"text/csv": OpenAPIMediaType(schema=Schema(
            type=OpenAPIType.STRING, examples=[",".join(CSV_HEADER) + "\r\n..."]))}),
    303: redirect("Not signed in, or the password must be changed first: sent to that page "
                  "(401 or 403 when the Accept header asks for JSON only)."),
    400: refusal("The year is not four digits (and no group is given)."),
    401: json_refusal("Not signed in, and the Accept header asks for JSON only."),
    403: refusal("Signed in with a role that may not see the report (a coach or a "
                 "participant), or asking for JSON only while the password must be changed "
                 "first."),
    404: refusal("No group has that key, or no group started in that year."),
    422: INPUT_REFUSED,
})
GROUP_PARAMETER = Parameter(
    description="One group, by the key in the report page's links (groups are never named "
                "by their ids). Empty or left out: `year` chooses the groups.",
    schema_extra={"pattern": f"^([0-9a-f]{{{GROUP_KEY_LENGTH}}})?$"})
YEAR_PARAMETER = Parameter(
    description="The groups that started in this year. Both `group` and `year` empty or left "
                "out: all groups.",
    schema_extra={"pattern": "^([0-9]{4})?$", "examples": ["2025"]})


@get("/reports/funder.csv", name="reports.funder_csv", guards=[evaluators], tags=["reports"],
     security=BY_SESSION, summary="The funder's participant indicators as CSV",
     description=(
         "The ESF participant indicators (codes such as CO01, CR04) by gender, for all groups, "
         "a cohort year or one group, under the disclosure policy in force: columns "
         + ", ".join(CSV_HEADER) + ". Every download is in the audit log. For evaluators "
         "and admins, signed in: API tokens open only the data package."),
     operation_class=CSV_DOCS)
async def funder_csv(request: Request, group: Annotated[str, GROUP_PARAMETER] = "",
                     year: Annotated[str, YEAR_PARAMETER] = "") -> Response:
    """Download the ESF participant indicators as CSV."""
    _groups, report = await _report(request, group, year)
    await audit(request, "report.funder.view", detail={"scope": report.scope.kind,
                                                       "format": "csv"})
    return Response(
        as_csv(report),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" (a second one if given one)
        headers={
            "Content-Disposition": 'attachment; filename="esf-indicators.csv"',
            "Cache-Control": "no-store",
        },
    )


ROUTES = [funder_page]  # the page, for people
API_ROUTES = [funder_csv]  # in the OpenAPI document
