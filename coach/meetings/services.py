"""Group meetings: log, edit and delete one, with attendance per participant."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from litestar.exceptions import NotFoundException

from coach.accounts.tables import User
from coach.audit.log import now
from coach.auth.access import get_group_for
from coach.auth.actor import Actor
from coach.choices import Theme
from coach.forms import (
    Collector,
    Errors,
    Invalid,
    local_date,
    parse_date,
    parse_id,
    parse_ids,
    parse_int,
    parse_text,
    text,
)
from coach.groups.tables import CoachingGroup
from coach.i18n import format_day
from coach.i18n import gettext as _
from coach.labels import label
from coach.meetings.tables import Attendance, Meeting
from coach.participants.consent import ConsentWithdrawn, has_withdrawn, locked_people
from coach.participants.tables import Participant

MAX_DURATION_MINUTES = 600
NOTE_MAX = 4000


async def roster(group_id: int, on: dt.date) -> list[dict[str, Any]]:
    """Return the participants who belonged to the group on a date, by name.

    Those who withdrew consent come with `withdrawn` set: the form lists them as such, and
    no attendance is recorded for them (see `tickable`).
    """
    rows = await (Participant.select(Participant.id, Participant.display_name,
                                     Participant.consent_withdrawn_on)
                  .where(Participant.group == group_id)
                  .where(Participant.erased_at.is_null())
                  .where(Participant.enrolled_on <= on)
                  .where((Participant.exited_on.is_null()) | (Participant.exited_on >= on))
                  .order_by(Participant.display_name).order_by(Participant.id))
    for row in rows:
        row["withdrawn"] = has_withdrawn(row)
    return rows


def tickable(people: list[dict[str, Any]]) -> set[int]:
    """Return the ids of the listed people whose attendance may be recorded."""
    return {row["id"] for row in people if not row.get("withdrawn")}


async def attendance_rows(meeting_id: int) -> list[dict[str, Any]]:
    """Return the meeting's attendance rows with their people, erased people's rows too."""
    rows = await (Attendance.select(Attendance.participant.id.as_alias("id"),
                                    Attendance.participant.group.as_alias("group"),
                                    Attendance.participant.display_name.as_alias("display_name"),
                                    Attendance.participant.consent_withdrawn_on.as_alias(
                                        "consent_withdrawn_on"),
                                    Attendance.participant.erased_at.as_alias("erased_at"),
                                    Attendance.present)
                  .where(Attendance.meeting == meeting_id))
    for row in rows:
        row["withdrawn"] = has_withdrawn(row)
    return rows


def with_recorded(people: list[dict[str, Any]], recorded: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """Return a roster plus the people of attendance_rows who are not erased, by name.

    `stored` is the saved tick, which the form shows as text for people who withdrew consent.
    """
    by_id = {row["id"]: row for row in people}
    for row in recorded:
        if row["erased_at"] is not None:
            continue
        person = by_id.setdefault(row["id"], {"id": row["id"],
                                              "display_name": row["display_name"],
                                              "withdrawn": row["withdrawn"]})
        person["stored"] = bool(row["present"])
    return sorted(by_id.values(), key=lambda row: (row["display_name"].casefold(), row["id"]))


async def meeting_roster(meeting: Meeting) -> list[dict[str, Any]]:
    """Return everyone with an attendance row for the meeting or in the group on its date."""
    return with_recorded(await roster(meeting.group, meeting.held_on),
                         await attendance_rows(meeting.id))


async def withdrawn_ticks(group_id: int, present: set[int], on_date: list[dict[str, Any]],
                          recorded: list[dict[str, Any]]) -> list[str]:
    """Return the names of ticked people of the group who withdrew consent.

    A tick the meeting already holds is no new data, so it is not refused (it is kept).
    The roster of the date and the meeting's attendance_rows already say who withdrew;
    only ticked people in neither are read.
    """
    kept = {row["id"] for row in recorded if row["present"]}
    known = {row["id"]: row for row in recorded
             if row["erased_at"] is None and row["group"] == group_id}
    known.update({row["id"]: row for row in on_date})
    rows = [known[pid] for pid in sorted(present) if pid in known]
    unknown = present - set(known)
    if unknown:
        rows += await (Participant.select(Participant.id, Participant.display_name,
                                          Participant.consent_withdrawn_on)
                       .where(Participant.group == group_id)
                       .where(Participant.id.is_in(sorted(unknown)))
                       .where(Participant.erased_at.is_null()))
    return [row["display_name"] for row in rows if has_withdrawn(row) and row["id"] not in kept]


async def _stored_ticks(meeting_id: int | None) -> dict[int, bool]:
    """Return {participant: present} of a meeting's attendance; none for a new meeting."""
    if meeting_id is None:
        return {}
    rows = await (Attendance.select(Attendance.participant, Attendance.present)
                  .where(Attendance.meeting == meeting_id))
    return {row["participant"]: bool(row["present"]) for row in rows}


async def _lock_group(group_id: int, present: set[int], meeting_id: int | None
                      ) -> tuple[set[int], dict[int, bool]]:
    """Lock the group's people and refuse new ticks of those who withdrew.

    Return their ids, and the meeting's stored ticks as read under the lock. Call inside
    the saving transaction: a withdrawal at the same moment then comes wholly before the
    save (and is seen here) or after it.
    """
    people = await locked_people(Participant.group == group_id)
    withdrawn = {row["id"]: row["display_name"] for row in people if has_withdrawn(row)}
    stored = await _stored_ticks(meeting_id)
    refused = [name for pid, name in withdrawn.items() if pid in present and not stored.get(pid)]
    if refused:
        raise ConsentWithdrawn(refused)
    return set(withdrawn), stored


def new_form(group: CoachingGroup, today: dt.date) -> dict[str, Any]:
    """Return the defaults of "Log a meeting": today, the group's usual length."""
    return {"held_on": today.isoformat(), "duration_minutes": str(group.usual_duration_minutes),
            "themes": [], "present": [], "private_note": ""}


async def form_of(meeting: Meeting) -> dict[str, Any]:
    """Return a saved meeting as the values its edit form shows."""
    present = await (Attendance.select(Attendance.participant)
                     .where(Attendance.meeting == meeting.id)
                     .where(Attendance.present.eq(True)).output(as_list=True))
    return {"held_on": meeting.held_on.isoformat(),
            "duration_minutes": str(meeting.duration_minutes),
            "themes": theme_list(meeting.themes),
            "present": [str(pid) for pid in present], "private_note": meeting.private_note,
            "version": str(meeting.version)}


def read_version(raw: str) -> int | None:
    """Return the meeting version an edit form was rendered from; None when it has none."""
    # A version is read as an id is: digits only, within the 32-bit column's range.
    try:
        return parse_id(raw)
    except Invalid:
        return None


def theme_list(value: str | list[str] | None) -> list[str]:
    """Return the themes of a meeting whether Piccolo gave them as JSON text or a list."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value) if isinstance(value, list) else []


def validate_meeting(data: Mapping[str, Any], themes: list[str], present: list[str],
                     group: CoachingGroup, today: dt.date) -> tuple[dict[str, Any], Errors]:
    """Check the meeting form; `themes` and `present` are the ticked boxes."""
    form = Collector()
    held_on = form.read("held_on", parse_date, text(data, "held_on"))
    if held_on and held_on > today:
        form.fail("held_on", _("The date cannot be in the future."))
    if held_on and held_on < group.starts_on:
        form.fail("held_on", _("The group started on %(date)s.")
                  % {"date": format_day(group.starts_on)})
    form.read("duration_minutes", parse_int, text(data, "duration_minutes"), 1,
              MAX_DURATION_MINUTES)
    known = {theme.value for theme in Theme}
    if set(themes) - known:
        form.fail("themes", _("Choose from the list."))
    else:
        form.cleaned["themes"] = [theme.value for theme in Theme if theme.value in themes]
    form.read("present", parse_ids, present)
    form.read("private_note", parse_text, text(data, "private_note"), NOTE_MAX, required=False)
    return form.cleaned, form.errors


async def check_roster(group_id: int, cleaned: dict[str, Any],
                       meeting: Meeting | None = None, *,
                       on_date: list[dict[str, Any]] | None = None,
                       recorded: list[dict[str, Any]] | None = None) -> Errors:
    """Refuse ticked people who withdrew consent or were not in the group on the date.

    `on_date` (the roster of the date) and `recorded` (the meeting's attendance_rows) are
    read here unless the caller has read them already.
    """
    if "held_on" not in cleaned or "present" not in cleaned:
        return {}
    if on_date is None:
        on_date = await roster(group_id, cleaned["held_on"])
    if recorded is None:
        recorded = await attendance_rows(meeting.id) if meeting is not None else []
    refused = await withdrawn_ticks(group_id, cleaned["present"], on_date, recorded)
    if refused:
        return {"present": _("Consent has been withdrawn, so nothing new is recorded about: "
                             "%(names)s.") % {"names": ", ".join(sorted(refused))}}
    allowed = tickable(on_date) | {row["id"] for row in recorded}
    outside = cleaned["present"] - allowed
    if not outside:
        return {}
    names = await (Participant.select(Participant.display_name)
                   .where(Participant.id.is_in(sorted(outside)))
                   .where(Participant.group == group_id).output(as_list=True))
    if not names:
        return {"present": _("Choose from the list.")}
    return {"present": _("Not in the group on this date: %(names)s.")
            % {"names": ", ".join(sorted(names))}}


def roster_day(group: CoachingGroup, cleaned: dict[str, Any], errors: Errors,
               today: dt.date) -> dt.date:
    """Return the date whose roster a new meeting's form shows after a post.

    A refused date (a mistyped year) has nobody on its roster: showing it would wipe the
    coach's ticks, and the empty list would stay after the date is corrected. So the form
    keeps the roster of today, within the group's run, until the date is valid.
    """
    if "held_on" in cleaned and "held_on" not in errors:
        return cleaned["held_on"]
    return min(max(today, group.starts_on), group.ends_on)


async def posted_roster(group: CoachingGroup, meeting: Meeting | None,
                        cleaned: dict[str, Any], errors: Errors, today: dt.date
                        ) -> tuple[list[dict[str, Any]], Errors]:
    """Check a posted meeting's ticks; return the people its form shows, and the errors.

    `errors` are validate_meeting's; with any, the ticks are not checked. The roster and
    the meeting's attendance are read once, for the checks and for the form.
    """
    recorded = await attendance_rows(meeting.id) if meeting is not None else []
    day = meeting.held_on if meeting is not None else roster_day(group, cleaned, errors, today)
    people = await roster(group.id, day)
    if not errors:
        on_date = (people if cleaned.get("held_on") == day
                   else await roster(group.id, cleaned["held_on"]))
        errors = await check_roster(group.id, cleaned, meeting, on_date=on_date,
                                    recorded=recorded)
    if meeting is not None:
        people = with_recorded(people, recorded)
    # Whatever went wrong, the coach's ticks stay on the form they see next.
    return await with_ticked(group.id, people, cleaned.get("present", set())), errors


async def same_day_count(group_id: int, held_on: dt.date, exclude_id: int | None = None) -> int:
    """Return how many other meetings the group has on that date."""
    query = Meeting.count().where(Meeting.group == group_id).where(Meeting.held_on == held_on)
    if exclude_id is not None:
        query = query.where(Meeting.id != exclude_id)
    return await query


def nobody_ticked(present: set[int], people: list[dict[str, Any]]) -> bool:
    """Return True when no one is marked present though someone could have been.

    A meeting nobody came to is rare and usually means the ticks were forgotten, so the
    form asks once; with nobody on the roster there is nothing to forget.
    """
    return bool(tickable(people)) and not present


async def create_meeting(group_id: int, cleaned: dict[str, Any],
                         created_by: int | None) -> Meeting:
    """Save a meeting and one attendance row for each person in the group that day.

    Nobody who withdrew consent gets a row; ticking one of them refuses the whole save.
    """
    async with Meeting._meta.db.transaction():
        await _lock_group(group_id, cleaned["present"], None)
        people = sorted(tickable(await roster(group_id, cleaned["held_on"])))
        stamp = now()
        meeting = Meeting(group=group_id, held_on=cleaned["held_on"],
                          duration_minutes=cleaned["duration_minutes"], themes=cleaned["themes"],
                          private_note=cleaned["private_note"], created_by=created_by,
                          created_at=stamp, updated_at=stamp)
        await meeting.save()
        rows = [Attendance(meeting=meeting.id, participant=pid,
                           present=pid in cleaned["present"]) for pid in people]
        if rows:
            await Attendance.insert(*rows)
    return meeting


async def update_meeting(meeting: Meeting, cleaned: dict[str, Any], version: int | None = None,
                         updated_by: int | None = None) -> bool:
    """Save edited values and attendance if the meeting is still at `version`; else False.

    `version` is the one the edit form was rendered from (by default the loaded one).
    People joining on the new date get an attendance row too. The stored ticks of people
    who withdrew consent stay as they are until an admin erases them; a new tick for one
    of them refuses the whole save.
    """
    version = meeting.version if version is None else version
    async with Meeting._meta.db.transaction():
        withdrawn, stored = await _lock_group(meeting.group, cleaned["present"], meeting.id)
        people = tickable(await roster(meeting.group, cleaned["held_on"]))
        # Check and write in one statement: of two saves of the same version, the
        # database lets exactly one match (PostgreSQL re-reads the row after the lock).
        saved = await Meeting.update({
            Meeting.held_on: cleaned["held_on"],
            Meeting.duration_minutes: cleaned["duration_minutes"],
            Meeting.themes: cleaned["themes"],
            Meeting.private_note: cleaned["private_note"],
            Meeting.updated_at: now(),
            Meeting.updated_by: updated_by,
            Meeting.version: Meeting.version + 1,
        }).where((Meeting.id == meeting.id) & (Meeting.version == version)).returning(
            Meeting.version)
        if not saved:
            return False  # someone saved first; their attendance stays as it is
        meeting.version = saved[0]["version"]
        # `stored` was read before the meeting row was updated: a save that added rows in
        # between would have changed the version, and the update would have matched nothing.
        missing = [Attendance(meeting=meeting.id, participant=pid, present=False)
                   for pid in sorted(people - set(stored))]
        if missing:
            await Attendance.insert(*missing)
        present = sorted(cleaned["present"] - withdrawn)
        changeable = Attendance.meeting == meeting.id
        if withdrawn:
            changeable &= Attendance.participant.not_in(sorted(withdrawn))
        await Attendance.update({Attendance.present: False}).where(changeable)
        if present:
            await Attendance.update({Attendance.present: True}).where(
                (Attendance.meeting == meeting.id) & Attendance.participant.is_in(present))
    return True


async def set_attendance(meeting: Meeting, participant_id: int, present: bool,
                         updated_by: int | None = None) -> bool:
    """Mark one person present or absent; False when they have no row for the meeting.

    A tick is one person's fact, so it is saved whatever else changed; it still counts
    as a new version, so an edit form rendered before it cannot silently undo it.
    `meeting.version` becomes the new version. A person who withdrew consent keeps the
    stored tick: refused with ConsentWithdrawn.
    """
    try:
        async with Meeting._meta.db.transaction():
            # Only this group's people: a crafted id of someone else's must not name them.
            person = await locked_people((Participant.id == participant_id)
                                         & (Participant.group == meeting.group))
            if person and has_withdrawn(person[0]):
                raise ConsentWithdrawn([person[0]["display_name"]])
            # The meeting row first, then its attendance, in the order update_meeting takes
            # them: the other way round, a tick and an edit at the same moment could each
            # hold what the other waits for (a deadlock on PostgreSQL).
            saved = await Meeting.update({
                Meeting.updated_at: now(),
                Meeting.updated_by: updated_by,
                Meeting.version: Meeting.version + 1,
            }).where(Meeting.id == meeting.id).returning(Meeting.version)
            changed = await Attendance.update({Attendance.present: present}).where(
                (Attendance.meeting == meeting.id) & (Attendance.participant == participant_id)
            ).returning(Attendance.id)
            if not changed:
                raise _NoAttendanceRow()  # rolls the version back
    except _NoAttendanceRow:
        return False
    if saved:
        meeting.version = saved[0]["version"]
    return True


class _NoAttendanceRow(Exception):
    """The person has no row for the meeting: nothing to tick, nothing to count."""


CONFLICT_FIELDS = ("held_on", "duration_minutes", "themes", "present", "private_note")


async def saved_values(meeting: Meeting) -> dict[str, Any]:
    """Return a saved meeting's values in the shape validate_meeting cleans a form to."""
    present = await (Attendance.select(Attendance.participant)
                     .where(Attendance.meeting == meeting.id)
                     .where(Attendance.present.eq(True)).output(as_list=True))
    return {"held_on": meeting.held_on, "duration_minutes": meeting.duration_minutes,
            "themes": theme_list(meeting.themes), "present": set(present),
            "private_note": meeting.private_note}


def differences(saved: dict[str, Any], cleaned: dict[str, Any]) -> list[str]:
    """Return the fields whose saved value is not what the form would save."""
    def same(name: str) -> bool:
        if name in ("themes", "present"):
            return set(saved[name]) == set(cleaned[name])
        return saved[name] == cleaned[name]

    return [name for name in CONFLICT_FIELDS if not same(name)]


async def _shown(name: str, value: Any) -> str:
    """Return one meeting value as the conflict message shows it."""
    if name == "held_on":
        return format_day(value)
    if name == "themes":
        return ", ".join(label(theme, Theme) for theme in value) or "–"
    if name == "present":
        names = await (Participant.select(Participant.display_name)
                       .where(Participant.id.is_in(sorted(value) or [0]))
                       .where(Participant.erased_at.is_null()).output(as_list=True))
        return ", ".join(sorted(names, key=str.casefold)) or "–"
    return str(value) if value != "" else "–"


async def conflict_report(meeting: Meeting, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Describe what someone else saved that differs from a refused form, and who and when."""
    saved = await saved_values(meeting)
    rows = [{"field": name, "saved": await _shown(name, saved[name]),
             "yours": await _shown(name, cleaned[name])}
            for name in differences(saved, cleaned)]
    editor = None
    if meeting.updated_by is not None:
        editor = await (User.select(User.display_name, User.username)
                        .where(User.id == meeting.updated_by).first())
    return {"rows": rows,
            "by": (editor["display_name"] or editor["username"]) if editor else "",
            "date": format_day(local_date(meeting.updated_at)), "at": meeting.updated_at}


async def delete_meeting(meeting: Meeting) -> None:
    """Delete a meeting and its attendance."""
    async with Meeting._meta.db.transaction():
        # The meeting row first, then its attendance, in the order edits and ticks take
        # them: the other way round, a delete and a tick or an edit at the same moment could
        # each hold what the other waits for (a deadlock on PostgreSQL). ON DELETE CASCADE
        # takes the attendance with it; deleted here too for a SQLite connection without
        # foreign_keys on.
        await Meeting.delete().where(Meeting.id == meeting.id)
        await Attendance.delete().where(Attendance.meeting == meeting.id)


async def recent_meetings(group_id: int, limit: int = 5, offset: int = 0
                          ) -> list[dict[str, Any]]:
    """Return the latest meetings with how many came, newest first, skipping `offset`."""
    meetings = await (Meeting.select(Meeting.id, Meeting.held_on, Meeting.duration_minutes,
                                     Meeting.themes)
                      .where(Meeting.group == group_id)
                      .order_by(Meeting.held_on, ascending=False)
                      .order_by(Meeting.id, ascending=False).limit(limit).offset(offset))
    if not meetings:
        return []
    rows = await (Attendance.select(Attendance.meeting, Attendance.present)
                  .where(Attendance.meeting.is_in([m["id"] for m in meetings])))
    for meeting in meetings:
        mine = [row for row in rows if row["meeting"] == meeting["id"]]
        meeting["present"] = sum(1 for row in mine if row["present"])
        meeting["expected"] = len(mine)
        meeting["themes"] = theme_list(meeting["themes"])
    return meetings


async def get_meeting_for(actor: Actor, meeting_id: int) -> tuple[Meeting, CoachingGroup]:
    """Return a meeting and its group if the actor may see the group; else 404."""
    meeting = await Meeting.objects().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFoundException()
    return meeting, await get_group_for(actor, meeting.group)


async def with_ticked(group_id: int, people: list[dict[str, Any]],
                      ticked: set[int]) -> list[dict[str, Any]]:
    """Return the roster plus any ticked people of the group it lacks, by name.

    A form shown again after an error must keep every tick the coach made, also of someone
    not in the group on the date typed (the error names them, so they can be unticked).
    """
    missing = ticked - {row["id"] for row in people}
    if not missing:
        return people
    extra = await (Participant.select(Participant.id, Participant.display_name,
                                      Participant.consent_withdrawn_on)
                   .where(Participant.group == group_id)
                   .where(Participant.id.is_in(sorted(missing)))
                   .where(Participant.erased_at.is_null()))
    for row in extra:
        row["withdrawn"] = has_withdrawn(row)
    return sorted([*people, *extra],
                  key=lambda row: (row["display_name"].casefold(), row["id"]))
