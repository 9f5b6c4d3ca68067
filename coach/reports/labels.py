"""Translated names of the reports' coded values: policies and labour-market shares."""

from __future__ import annotations

import datetime as dt

from coach.forms import LOCAL_ZONE
from coach.i18n import gettext as _
from coach.reports.scope import Scope
from coach.reports.trends import EDUCATION, EMPLOYED, OUTSIDE, UNEMPLOYED, UNKNOWN


def policy_label(name: str) -> str:
    """Return the name of a disclosure policy in the current language."""
    return {"standard": _("Standard disclosure policy"),
            "strict": _("Strict disclosure policy")}.get(name, name)


def share_labels() -> dict[str, str]:
    """Return the labels of the labour-market shares in the current language."""
    return {
        EMPLOYED: _("Employed"),
        UNEMPLOYED: _("Unemployed"),
        EDUCATION: _("In education or training"),
        OUTSIDE: _("Outside the labour force"),
        UNKNOWN: _("Not known"),
    }


def scope_title(scope: Scope) -> str:
    """Return what a report is about, as a heading: a group, a cohort year or all groups."""
    if scope.group is not None:
        return scope.group.name
    if scope.year is not None:
        return _("Groups that started in %(year)s") % {"year": scope.year}
    return _("All groups")


def local_time(moment: dt.datetime) -> str:
    """Return the Finnish clock time of a stored timestamp, as HH:MM."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE).strftime("%H:%M")
