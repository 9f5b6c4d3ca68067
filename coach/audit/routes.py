"""The audit log page and its CSV: admins read, filter and download it; no route changes
or deletes an event."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.response import Response, Stream, Template

from coach.audit import export
from coach.audit.labels import action_in_words, action_labels
from coach.audit.tables import AuditEvent
from coach.auth.audit import audit
from coach.auth.guards import require_roles
from coach.forms import LOCAL_ZONE, Invalid, parse_date, text
from coach.i18n import gettext as _

PAGE_SIZE = 50


def read_filters(params: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the filters asked for and an error per field that could not be read."""
    filters: dict[str, Any] = {
        "action": text(params, "action")[:40],
        "actor": text(params, "actor")[:80],
        "date_from": None,
        "date_to": None,
    }
    errors: dict[str, str] = {}
    for name in ("date_from", "date_to"):
        try:
            filters[name] = parse_date(text(params, name), required=False)
        except Invalid as exc:
            errors[name] = str(exc)
    if (not errors and filters["date_from"] and filters["date_to"]
            and filters["date_to"] < filters["date_from"]):
        errors["date_to"] = _("The end date cannot be before the start date.")
    try:
        filters["page"] = max(1, min(int(text(params, "page") or 1), 10_000))
    except ValueError:
        filters["page"] = 1
    return filters, errors


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_ZONE)


def where_clause(filters: dict[str, Any]):
    """Return the query condition for the filters, or None for everything."""
    conditions = []
    if filters["action"]:
        # "login" finds login.success, login.failure, ...; "login.failure" finds itself.
        conditions.append(
            (AuditEvent.action == filters["action"])
            | AuditEvent.action.like(filters["action"].replace("%", "") + ".%")
        )
    if filters["actor"]:
        needle = filters["actor"].replace("%", "")
        conditions.append(AuditEvent.actor_label.ilike(f"%{needle}%"))
    if filters["date_from"]:
        conditions.append(AuditEvent.occurred_at >= _day_start(filters["date_from"]))
    if filters["date_to"]:
        next_day = filters["date_to"] + dt.timedelta(days=1)
        conditions.append(AuditEvent.occurred_at < _day_start(next_day))
    where = None
    for condition in conditions:
        where = condition if where is None else where & condition
    return where


async def find_events(filters: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """Return one page of matching events, newest first, and whether there are more."""
    query = AuditEvent.select().order_by(AuditEvent.id, ascending=False).output(load_json=True)
    where = where_clause(filters)
    if where is not None:
        query = query.where(where)
    offset = (filters["page"] - 1) * PAGE_SIZE
    rows = await query.limit(PAGE_SIZE + 1).offset(offset)
    labels = action_labels()
    for row in rows:
        words = action_in_words(row["action"], labels)
        # A label starts the card as a sentence would; an unknown code is shown as it is.
        row["action_words"] = words if words == row["action"] else words[:1].upper() + words[1:]
        row["detail_text"] = ", ".join(f"{key}: {value}" for key, value in row["detail"].items())
        row["local_time"] = row["occurred_at"].astimezone(LOCAL_ZONE)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@get("/admin/audit", name="admin.audit", guards=[require_roles("admin")],
     include_in_schema=False)
async def audit_log(request: Request) -> Template:
    """List audit events, newest first, filtered by action, actor and dates."""
    filters, errors = read_filters(request.query_params)
    if errors:
        return await _refused(filters, errors)
    events, more = await find_events(filters)
    return Template("admin/audit.html", context={
        "events": events, "filters": filters, "errors": {}, "more": more,
        "actions": await known_actions(), "csv_query": page_link(filters, None),
        "previous_page": page_link(filters, filters["page"] - 1) if filters["page"] > 1 else None,
        "next_page": page_link(filters, filters["page"] + 1) if more else None,
    })


async def _refused(filters: dict[str, Any], errors: dict[str, str]) -> Template:
    """Show the page with the filters' errors next to their fields and no events."""
    return Template("admin/audit.html", status_code=422, context={
        "events": [], "filters": filters, "errors": errors, "more": False,
        "actions": await known_actions(), "csv_query": "",
    })


@get("/admin/audit.csv", name="admin.audit_csv", guards=[require_roles("admin")],
     include_in_schema=False)
async def audit_csv(request: Request) -> Response:
    """Stream the events matching the page's filters as CSV, oldest first; audited."""
    filters, errors = read_filters(request.query_params)
    if errors:
        return await _refused(filters, errors)
    where = where_clause(filters)
    last_id = await export.newest_id()
    count = await export.count_events(where, last_id)
    if count > export.MAX_EXPORT_ROWS:
        return await _refused(filters, {"date_from": _(
            "%(count)s events match, more than %(limit)s fit in one file. "
            "Choose a shorter time.") % {"count": count, "limit": export.MAX_EXPORT_ROWS}})
    # Recorded after the cut is taken: the download is in the log, not in its own file.
    await audit(request, "audit.export", detail={
        **{name: str(filters[name]) for name in FILTER_NAMES if filters[name]},
        "rows": count})
    return Stream(
        export.csv_chunks(where, last_id, action_labels()),
        media_type="text/csv",  # Litestar adds "; charset=utf-8"
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                 "Cache-Control": "no-store"},
    )


FILTER_NAMES = ("action", "actor", "date_from", "date_to")


def page_link(filters: dict[str, Any], page: int | None) -> str:
    """Return the query string of another page (or of the CSV) with the same filters."""
    params = {name: str(filters[name]) for name in FILTER_NAMES if filters[name]}
    if page is not None:
        params["page"] = str(page)
    return "?" + urlencode(params) if params else ""


async def known_actions() -> list[str]:
    """Return the actions that occur in the log, for the filter's suggestions."""
    rows = await AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return [row["action"] for row in rows]


ROUTES = [audit_log, audit_csv]
