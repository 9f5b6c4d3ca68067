"""Small helpers for reading HTML form values; each error message is for the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from coach.i18n import format_day
from coach.i18n import gettext as _
from coach.limits import EARLIEST_DATE, LATEST_DATE, MAX_ID, MAX_IDS_PER_FORM, id_in_range

# The groups run in Finland: "today" is the Finnish calendar day, whatever the server's zone.
LOCAL_ZONE = ZoneInfo("Europe/Helsinki")

Errors = dict[str, str]


class Invalid(ValueError):
    """A form value is not acceptable; the message is shown next to the field."""


def today() -> dt.date:
    """Return today's date in Finland."""
    return dt.datetime.now(LOCAL_ZONE).date()


def local_date(moment: dt.datetime) -> dt.date:
    """Return the Finnish calendar day of a stored timestamp (naive ones are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE).date()


def text(data: Mapping[str, Any], name: str) -> str:
    """Return a submitted value as stripped text ("" when missing)."""
    value = data.get(name)
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value or "").strip()


def parse_date(raw: str, *, required: bool = True) -> dt.date | None:
    """Read an ISO date (what <input type=date> sends)."""
    if not raw:
        if required:
            raise Invalid(_("Enter a date."))
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("Enter the date as YYYY-MM-DD.")) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Invalid(_("Enter a date from %(start)s to %(end)s.")
                      % {"start": format_day(EARLIEST_DATE), "end": format_day(LATEST_DATE)})
    return day


def parse_int(raw: str, minimum: int, maximum: int) -> int:
    """Read a whole number within bounds."""
    if not raw:
        raise Invalid(_("Enter a number."))
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(_("Enter a whole number.")) from None
    if not minimum <= value <= maximum:
        raise Invalid(_("Enter a number from %(minimum)s to %(maximum)s.")
                      % {"minimum": minimum, "maximum": maximum})
    return value


def parse_id(raw: str) -> int:
    """Read the id of a row chosen from a list (a checkbox or a select)."""
    # isdigit() first: int() of a very long string is slow, and "+1" or " 1" are no ids.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID))):
        raise Invalid(_("Choose from the list."))
    value = int(raw)
    if not id_in_range(value):
        raise Invalid(_("Choose from the list."))
    return value


def parse_ids(values: list[str]) -> set[int]:
    """Read the ids of ticked boxes; more than MAX_IDS_PER_FORM is refused unread."""
    if len(values) > MAX_IDS_PER_FORM:
        raise Invalid(_("Choose at most %(count)s from the list.") % {"count": MAX_IDS_PER_FORM})
    return {parse_id(value) for value in values}


def parse_choice(raw: str, kind: type[Enum], *, required: bool = True) -> str | None:
    """Read one coded value of an enum."""
    if not raw:
        if required:
            raise Invalid(_("Choose one."))
        return None
    if raw not in {member.value for member in kind}:
        raise Invalid(_("Choose one of the options."))
    return raw


def parse_text(raw: str, max_length: int, *, required: bool = True) -> str:
    """Read free text of at most max_length characters."""
    if required and not raw:
        raise Invalid(_("This field is required."))
    if len(raw) > max_length:
        raise Invalid(_("Use at most %(count)s characters.") % {"count": max_length})
    return raw


class Collector:
    """Gather cleaned values and per-field errors while reading one form."""

    def __init__(self) -> None:
        self.cleaned: dict[str, Any] = {}
        self.errors: Errors = {}

    def read(self, name: str, parse, *args, **kwargs) -> Any:
        """Store parse(*args) under name, or its error message."""
        try:
            value = parse(*args, **kwargs)
        except Invalid as exc:
            self.errors[name] = str(exc)
            return None
        self.cleaned[name] = value
        return value

    def fail(self, name: str, message: str) -> None:
        """Record an error unless the field already has one."""
        self.errors.setdefault(name, message)
