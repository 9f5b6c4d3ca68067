"""What a coach sees of a group: its people, meetings, attendance, jobs and latest scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.methods.select import Count

from coach.assessments.schedule import DUE, LATE, last_day_to_answer
from coach.assessments.services import (
    DueEntry,
    answers_by_person,
    due_entries,
    taken_by_person,
)
from coach.assessments.tables import Assessment
from coach.choices import EMPLOYED_STATUSES
from coach.forms import local_date
from coach.groups.tables import CoachingGroup
from coach.meetings.services import recent_meetings
from coach.meetings.tables import Attendance, Meeting
from coach.participants.services import current_status
from coach.participants.tables import Participant, StatusChange

WELLBEING = "who5"
WORK_ABILITY = "was"
QUIET_DAYS = 30  # a participant with no news for this long is worth asking about
# Next steps cost a schedule per participant; beyond this many groups (an admin of a large
# project) the home page lists the rest by name, keeping it fast.
HOME_DETAIL_LIMIT = 40


async def participants_of(group_ids: list[int]) -> list[dict[str, Any]]:
    """Return the (not erased) participants of groups, by name."""
    if not group_ids:
        return []
    return await (Participant.select(Participant.id, Participant.group, Participant.display_name,
                                     Participant.enrolled_on, Participant.exited_on,
                                     Participant.status_at_entry, Participant.created_at,
                                     Participant.consent_given_on,
                                     Participant.consent_withdrawn_on, Participant.erased_at)
                  .where(Participant.group.is_in(group_ids))
                  .where(Participant.erased_at.is_null())
                  .order_by(Participant.display_name).order_by(Participant.id))


async def histories(participant_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return each participant's status history, oldest first."""
    result: dict[int, list[dict[str, Any]]] = {pid: [] for pid in participant_ids}
    if not participant_ids:
        return result
    rows = await (StatusChange.select(StatusChange.participant, StatusChange.status,
                                      StatusChange.effective_on, StatusChange.recorded_at)
                  .where(StatusChange.participant.is_in(participant_ids))
                  .order_by(StatusChange.effective_on).order_by(StatusChange.id))
    for row in rows:
        result[row["participant"]].append(row)
    return result


async def answers_of(participant_ids: list[int]) -> list[dict[str, Any]]:
    """Return every answer of these participants (without the items), oldest first."""
    if not participant_ids:
        return []
    return await (Assessment.select(Assessment.participant, Assessment.instrument,
                                    Assessment.taken_on, Assessment.score, Assessment.band)
                  .where(Assessment.participant.is_in(participant_ids))
                  .order_by(Assessment.taken_on).order_by(Assessment.id))


def latest_scores(participant_ids: list[int], answers: list[dict[str, Any]]
                  ) -> dict[int, dict[str, dict[str, Any]]]:
    """Return {participant: {instrument: latest answer}} for wellbeing and work ability."""
    result: dict[int, dict[str, dict[str, Any]]] = {pid: {} for pid in participant_ids}
    for row in answers:  # oldest first, so the last one written wins
        if row["instrument"] in (WELLBEING, WORK_ABILITY):
            result[row["participant"]][row["instrument"]] = row
    return result


async def attendance_counts(group_id: int) -> dict[int, tuple[int, int]]:
    """Return {participant: (present, expected)} over all the group's meetings."""
    # Counted by the database (a group of a year has thousands of attendance rows): at most
    # two rows a participant, present and absent.
    rows = await (Attendance.select(Attendance.participant, Attendance.present,
                                    Count(Attendance.id, alias="n"))
                  .where(Attendance.meeting.group == group_id)
                  .group_by(Attendance.participant, Attendance.present))
    counts: dict[int, tuple[int, int]] = {}
    for row in rows:
        present, expected = counts.get(row["participant"], (0, 0))
        counts[row["participant"]] = (present + (row["n"] if row["present"] else 0),
                                      expected + row["n"])
    return counts


def rate(present: int, expected: int) -> float | None:
    """Return a percentage, or None when nothing was expected."""
    return 100 * present / expected if expected else None


async def group_overview(group: CoachingGroup, today: dt.date) -> dict[str, Any]:
    """Gather the group page: participants with status and scores, meetings, rates."""
    people = await participants_of([group.id])
    ids = [person["id"] for person in people]
    status_by_id = await histories(ids)
    answers = await answers_of(ids)
    scores = latest_scores(ids, answers)
    counts = await attendance_counts(group.id)
    due = {entry["id"]: entry
           for entry in due_of(due_entries(group, people, taken_by_person(ids, answers), today))}
    rows = []
    for person in people:
        present, expected = counts.get(person["id"], (0, 0))
        status = current_status(status_by_id[person["id"]], today) or person["status_at_entry"]
        rows.append({
            **person,
            "status": status,
            "employed": status in EMPLOYED_STATUSES,
            "left": person["exited_on"] is not None and person["exited_on"] <= today,
            "attendance": rate(present, expected),
            "wellbeing": scores[person["id"]].get(WELLBEING),
            "work_ability": scores[person["id"]].get(WORK_ABILITY),
            "due": due.get(person["id"]),
        })
    all_present = sum(present for present, _expected in counts.values())
    all_expected = sum(expected for _present, expected in counts.values())
    return {
        "participants": rows,
        "active": sum(1 for row in rows if not row["left"]),
        "employed": sum(1 for row in rows if row["employed"]),
        "attendance_rate": rate(all_present, all_expected),
        "meetings": await recent_meetings(group.id),
        "meeting_count": await Meeting.count().where(Meeting.group == group.id),
    }


def quiet_participants(people: list[dict[str, Any]],
                       history_by_id: dict[int, list[dict[str, Any]]],
                       today: dt.date) -> list[dict[str, Any]]:
    """Return the current participants with no news recorded for QUIET_DAYS or more."""
    limit = today - dt.timedelta(days=QUIET_DAYS)
    quiet = []
    for person in people:
        if person["exited_on"] is not None and person["exited_on"] <= today:
            continue
        if person["consent_withdrawn_on"] is not None:
            continue  # no news is recorded after consent is withdrawn: nothing to ask
        stamps = [local_date(row["recorded_at"]) for row in history_by_id.get(person["id"], [])]
        stamps.append(local_date(person["created_at"]))
        if max(stamps) <= limit:
            quiet.append(person)
    return quiet


def has_next_steps(group: dict[str, Any], today: dt.date) -> bool:
    """Say whether a group may still have work: running, or its follow-up not yet over.

    group: a row with starts_on and ends_on. After the last day its follow-up check counts,
    no point of the group is due or late any more, and the home page lists it by name.
    """
    # The group's own follow-up is the last of anyone's: a person joins within the group's
    # run (coach.participants.services) and their points end at the group's end or sooner,
    # when they leave. So one date per group, with no need to read its people: the home
    # page decides this for every group an admin sees.
    return today <= last_day_to_answer(group["starts_on"], group["ends_on"])


async def open_groups(group_ids: list[int]) -> list[CoachingGroup]:
    """Return the visible groups that are not closed, newest first."""
    if not group_ids:
        return []
    return await (CoachingGroup.objects()
                  .where(CoachingGroup.id.is_in(group_ids))
                  .where(CoachingGroup.closed_at.is_null())
                  .order_by(CoachingGroup.starts_on, ascending=False)
                  .order_by(CoachingGroup.name))


async def group_cards(group_ids: list[int], today: dt.date) -> list[dict[str, Any]]:
    """Return the home page's cards of these open groups, newest first, with next steps.

    Which groups get a card (those with next steps, up to HOME_DETAIL_LIMIT) is
    coach.home.services' to choose; this reads what the cards show.
    """
    current = await open_groups(group_ids)
    ids = [row.id for row in current]
    if not ids:
        return []
    logged_today = set(await (Meeting.select(Meeting.group)
                              .where(Meeting.group.is_in(ids))
                              .where(Meeting.held_on == today).output(as_list=True)))
    people = await participants_of(ids)
    taken = await answers_by_person([person["id"] for person in people])
    history_by_id = await histories([person["id"] for person in people])
    people_by_group: dict[int, list[dict[str, Any]]] = {group_id: [] for group_id in ids}
    for person in people:
        people_by_group[person["group"]].append(person)
    groups = []
    for row in current:
        group = row.to_dict()
        groups.append(group)
        mine = people_by_group[group["id"]]
        group["running"] = group["starts_on"] <= today <= group["ends_on"]
        group["logged_today"] = group["id"] in logged_today
        # Marked on the card, so the coach knows why they get no next steps any more.
        group["withdrawn"] = [person for person in mine
                              if person["consent_withdrawn_on"] is not None]
        group.update(card_counts(mine, group["ends_on"], today))
        group["quiet"] = quiet_participants(mine, history_by_id, today)
        group["due"] = due_of(due_entries(row, mine, taken, today))
        group["to_see"] = people_to_see(group["due"], group["quiet"])
    return groups


def card_counts(people: list[dict[str, Any]], ends_on: dt.date, today: dt.date
                ) -> dict[str, Any]:
    """Count the people a group's home card speaks of, so its count matches its names.

    Once the group has ended, everyone is in the follow-up (checks at the end and six
    months after), whether or not they were marked as left: "0 participants" above the
    names of people due a check would make no sense.
    """
    left = sum(1 for person in people
               if person["exited_on"] is not None and person["exited_on"] <= today)
    return {"follow_up": today > ends_on, "follow_up_count": len(people),
            "participant_count": len(people) - left, "left_count": left}


def people_to_see(due: list[dict[str, Any]], quiet: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge "self-assessment due" and "no recent news" into one row per person, by name."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in due:
        rows[entry["id"]] = {**entry, "due": True, "quiet": False}
    for person in quiet:
        row = rows.setdefault(person["id"], {"id": person["id"], "late": False, "due": False,
                                             "display_name": person["display_name"]})
        row["quiet"] = True
    return sorted(rows.values(), key=lambda row: (row["display_name"].casefold(), row["id"]))


def due_of(entries: list[DueEntry]) -> list[dict[str, Any]]:
    """Keep the entries whose self-assessment is due or late now."""
    return [{"id": entry.participant_id, "display_name": entry.display_name,
             "late": entry.status == LATE}
            for entry in entries if entry.status in (DUE, LATE)]


async def group_is_closed(group_id: int) -> bool:
    """Say whether an admin has closed the group (no new participants, no checks)."""
    return await CoachingGroup.exists().where(
        (CoachingGroup.id == group_id) & CoachingGroup.closed_at.is_not_null())


MEETINGS_PER_PAGE = 20


async def meetings_page(group_id: int, number: int) -> list[dict[str, Any]]:
    """Return one page of the group's meetings, newest first, with how many came."""
    return await recent_meetings(group_id, limit=MEETINGS_PER_PAGE,
                                 offset=(number - 1) * MEETINGS_PER_PAGE)
