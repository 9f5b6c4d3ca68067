"""The audit log page: admins read and filter it; no route changes or deletes an event."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.response import Template

from coach.audit.tables import AuditEvent
from coach.auth.guards import require_roles
from coach.forms import LOCAL_ZONE, Invalid, parse_date, text

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
    for row in rows:
        row["detail_text"] = ", ".join(f"{key}: {value}" for key, value in row["detail"].items())
        row["local_time"] = row["occurred_at"].astimezone(LOCAL_ZONE)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@get("/admin/audit", name="admin.audit", guards=[require_roles("admin")],
     include_in_schema=False)
async def audit_log(request: Request) -> Template:
    """List audit events, newest first, filtered by action, actor and dates."""
    filters, errors = read_filters(request.query_params)
    if errors:
        return Template("admin/audit.html", status_code=422, context={
            "events": [], "filters": filters, "errors": errors, "more": False,
            "actions": await known_actions(),
        })
    events, more = await find_events(filters)
    return Template("admin/audit.html", context={
        "events": events, "filters": filters, "errors": {}, "more": more,
        "actions": await known_actions(),
        "previous_page": page_link(filters, filters["page"] - 1) if filters["page"] > 1 else None,
        "next_page": page_link(filters, filters["page"] + 1) if more else None,
    })


def page_link(filters: dict[str, Any], page: int) -> str:
    """Return the query string of another page with the same filters."""
    params = {name: str(filters[name]) for name in ("action", "actor", "date_from", "date_to")
              if filters[name]}
    params["page"] = str(page)
    return "?" + urlencode(params)


async def known_actions() -> list[str]:
    """Return the actions that occur in the log, for the filter's suggestions."""
    rows = await AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return [row["action"] for row in rows]


ROUTES = [audit_log]
