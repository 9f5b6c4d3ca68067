"""Measurement points of a group, and whether each participant's check is due or late.

Points: a baseline at the start (or at enrolment), one every N weeks, one at the end
(or when the person leaves) and a follow-up six months after that. A check may be
done at any time; one counts for a point when it falls inside the point's window.
Each instrument has a cadence (its file's [schedule]): the points at which a check asks
it. A point is done when every instrument asked at it was answered in its window.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coach.limits import clamp_date, latest_group_end

OPENS_DAYS_BEFORE = 7  # a check a few days early still counts
LATE_AFTER_DAYS = 7  # "due" for a week after the date, then "late"
WINDOW_DAYS_AFTER = 28  # after this the point is missed
FOLLOW_UP_MONTHS = 6

BASELINE, INTERIM, END, FOLLOW_UP = "baseline", "interim", "end", "follow_up"
UPCOMING, DUE, LATE, DONE, MISSED = "upcoming", "due", "late", "done", "missed"


@dataclass(frozen=True)
class MeasurementPoint:
    kind: str  # baseline, interim, end or follow_up
    due_on: dt.date
    opens_on: dt.date
    closes_on: dt.date  # the first day that no longer counts
    number: int = 0  # 1, 2, ... for interim points

    def contains(self, day: dt.date) -> bool:
        return self.opens_on <= day < self.closes_on


@dataclass(frozen=True)
class Cadence:
    """The points at which a check asks an instrument; the default is every point."""

    baseline: bool = True
    interim_every: int = 1  # every nth interim point of the group's run; 0: at none
    end: bool = True
    follow_up: bool = True

    def asks_at(self, point: MeasurementPoint) -> bool:
        if point.kind == INTERIM:
            # Numbered in the group's run, so the whole group answers at the same points.
            return self.interim_every > 0 and point.number % self.interim_every == 0
        return {BASELINE: self.baseline, END: self.end, FOLLOW_UP: self.follow_up}[point.kind]


EVERY_POINT = Cadence()


@dataclass(frozen=True)
class PointStatus:
    point: MeasurementPoint
    status: str  # upcoming, due, late, done or missed
    done_instruments: frozenset[str]
    wanted: frozenset[str] = frozenset()  # the instruments asked at this point

    @property
    def missing(self) -> frozenset[str]:
        return self.wanted - self.done_instruments


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day some months later, or the month's last day if it has fewer."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _with_windows(dated: list[tuple[str, int, dt.date]]) -> list[MeasurementPoint]:
    points = []
    for index, (kind, number, due_on) in enumerate(dated):
        opens_on = due_on - dt.timedelta(days=OPENS_DAYS_BEFORE)
        closes_on = due_on + dt.timedelta(days=WINDOW_DAYS_AFTER + 1)
        if index + 1 < len(dated):
            # Windows never overlap: the next point's window ends this one.
            next_opens = dated[index + 1][2] - dt.timedelta(days=OPENS_DAYS_BEFORE)
            closes_on = min(closes_on, max(next_opens, due_on + dt.timedelta(days=1)))
        points.append(MeasurementPoint(kind, due_on, opens_on, closes_on, number))
    return points


def measurement_points(
    starts_on: dt.date,
    ends_on: dt.date,
    interval_weeks: int,
    enrolled_on: dt.date | None = None,
    exited_on: dt.date | None = None,
) -> list[MeasurementPoint]:
    """Return the points of a group, or of one person who joined late or left early."""
    # Dates stored before the forms bounded them (year 1, year 9999) are moved inside the
    # allowed range, and the run cut to the longest a group may have: the date arithmetic
    # below cannot overflow and the loop over interim points stays short.
    starts_on = clamp_date(starts_on)
    baseline = clamp_date(max(starts_on, enrolled_on) if enrolled_on else starts_on)
    end = clamp_date(min(ends_on, exited_on) if exited_on else ends_on)
    end = min(max(end, baseline), latest_group_end(baseline))
    dated: list[tuple[str, int, dt.date]] = [(BASELINE, 0, baseline)]
    if interval_weeks > 0:
        step = dt.timedelta(weeks=interval_weeks)
        # Skip interim points within half an interval of the baseline or the end,
        # so that nobody is asked twice in quick succession. Points keep their number
        # in the group's run; a late joiner starts from the first one after their baseline.
        half = step / 2
        number = max(1, -(-(baseline + half - starts_on) // step))  # rounded up
        due_on = starts_on + number * step
        while due_on <= end - half:
            dated.append((INTERIM, number, due_on))
            due_on, number = due_on + step, number + 1
    if end > baseline:
        dated.append((END, 0, end))
    dated.append((FOLLOW_UP, 0, add_months(end, FOLLOW_UP_MONTHS)))
    return _with_windows(dated)


def last_day_to_answer(
    starts_on: dt.date,
    ends_on: dt.date,
    enrolled_on: dt.date | None = None,
    exited_on: dt.date | None = None,
) -> dt.date:
    """Return the last day a check of this person still counts: the follow-up's last day.

    Until then a point of theirs can be due or late; the day after, the follow-up is missed
    and no point is left. The personal link (coach/auth/invites.py) works exactly as long.
    """
    # The follow-up is the last point, so no later window shortens it and the interim points
    # change nothing of it: they are not made (interval 0). tests/test_personal_link.py
    # checks this against the points of real intervals.
    follow_up = measurement_points(starts_on, ends_on, 0, enrolled_on, exited_on)[-1]
    return follow_up.closes_on - dt.timedelta(days=1)


def point_statuses(
    points: list[MeasurementPoint],
    taken: Iterable[tuple[str, dt.date]],
    instrument_ids: Iterable[str],
    today: dt.date,
    cadences: Mapping[str, Cadence] | None = None,
) -> list[PointStatus]:
    """Return each point's status given the (instrument, date) of every check taken.

    cadences: instrument id -> its cadence; an instrument without one is asked at every point.
    """
    instrument_ids = list(instrument_ids)
    cadences = cadences or {}
    taken = list(taken)
    statuses = []
    for point in points:
        wanted = frozenset(
            name for name in instrument_ids if cadences.get(name, EVERY_POINT).asks_at(point)
        )
        # point.contains(day), written out: this loop runs for every participant of a page.
        opens_on, closes_on = point.opens_on, point.closes_on
        done = frozenset(name for name, day in taken if opens_on <= day < closes_on) & wanted
        if done == wanted:
            status = DONE
        elif today < point.opens_on:
            status = UPCOMING
        elif today <= point.due_on + dt.timedelta(days=LATE_AFTER_DAYS):
            status = DUE
        elif today < point.closes_on:
            status = LATE
        else:
            status = MISSED
        statuses.append(PointStatus(point, status, done, wanted))
    return statuses


def current_point(statuses: list[PointStatus]) -> PointStatus | None:
    """Return the point that needs a check now (due or late), else the next upcoming one."""
    for entry in statuses:
        if entry.status in (DUE, LATE):
            return entry
    for entry in statuses:
        if entry.status == UPCOMING:
            return entry
    return None


def instruments_to_ask(statuses: list[PointStatus], instrument_ids: list[str]) -> list[str]:
    """Return the instruments a check asks now, in check order.

    A due or late point asks what it still lacks; before the next point opens, a check
    asks what that point will (answering early is allowed); with no point left, all.
    """
    current = current_point(statuses)
    if current is None:
        return list(instrument_ids)
    wanted = current.missing if current.status in (DUE, LATE) else current.wanted
    return [name for name in instrument_ids if name in wanted] or list(instrument_ids)
