"""The admin's work: staff accounts, groups and their coaches. Every change is audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from coach.accounts.services import (
    create_user,
    reset_password,
    set_active,
    temporary_password,
    username_taken,
)
from coach.accounts.tables import User
from coach.audit.log import now
from coach.auth.invites import end_group_access
from coach.auth.sessions import end_user_sessions
from coach.choices import Role
from coach.forms import Collector, parse_choice, parse_date, parse_int, parse_text, text
from coach.groups.tables import CoachingGroup, GroupCoach
from coach.i18n import gettext as _
from coach.limits import LONGEST_GROUP_YEARS, latest_group_end
from coach.paging import Listing, fold, page_of

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")


def validate_new_user(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the new-user form."""
    form = Collector()
    username = text(data, "username")
    if not USERNAME_PATTERN.match(username):
        form.fail("username", _(
            "Use 2 to 64 letters, digits or the characters . _ @ - (no spaces)."))
    else:
        form.cleaned["username"] = username
    form.read("display_name", parse_text, text(data, "display_name"), 120, required=False)
    form.read("role", parse_choice, text(data, "role"), Role)
    return form.cleaned, form.errors


async def add_user(
    cleaned: dict[str, Any], actor_user_id: int | None, actor_label: str
) -> tuple[User | None, str, dict[str, str]]:
    """Create a user with a temporary password; return (user, password, errors)."""
    if await username_taken(cleaned["username"]):
        return None, "", {"username": _("This username is taken.")}
    password = temporary_password()
    try:
        user = await create_user(
            cleaned["username"], password, cleaned["role"],
            display_name=cleaned.get("display_name") or "", skip_policy=True,
            actor_user_id=actor_user_id, actor_label=actor_label,
        )
    except ValueError:  # taken by a request that came at the same moment
        return None, "", {"username": _("This username is taken.")}
    await User.update({User.must_change_password: True}).where(User.id == user.id)
    return user, password, {}


async def reset_user_password(user_id: int) -> str:
    """Give the user a temporary password and end their sessions; return the password."""
    password = await reset_password(user_id)
    await end_user_sessions(user_id)
    return password


async def disable_user(user_id: int) -> None:
    """Stop a user from signing in and end their sessions at once."""
    await set_active(user_id, False)
    await end_user_sessions(user_id)


async def enable_user(user_id: int) -> None:
    await set_active(user_id, True)


def validate_group(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the new-group form."""
    form = Collector()
    form.read("name", parse_text, text(data, "name"), 120)
    starts = form.read("starts_on", parse_date, text(data, "starts_on"))
    ends = form.read("ends_on", parse_date, text(data, "ends_on"))
    if starts and ends and ends <= starts:
        form.fail("ends_on", _("The end must be after the start."))
    if starts and ends and ends > latest_group_end(starts):
        form.fail("ends_on", _("A group can last at most %(years)s years.")
                  % {"years": LONGEST_GROUP_YEARS})
    form.read("usual_duration_minutes", parse_int, text(data, "usual_duration_minutes") or "90",
              15, 480)
    form.read("assessment_interval_weeks", parse_int,
              text(data, "assessment_interval_weeks") or "4", 1, 52)
    return form.cleaned, form.errors


async def add_group(cleaned: dict[str, Any]) -> CoachingGroup:
    group = CoachingGroup(name_folded=fold(cleaned["name"]), created_at=now(), **cleaned)
    await group.save()
    return group


async def active_coaches() -> list[dict[str, Any]]:
    return await User.select(User.id, User.username, User.display_name).where(
        (User.role == Role.coach) & (User.is_active == True)  # noqa: E712 (a SQL expression)
    ).order_by(User.username)


async def coaches_of(group_id: int) -> list[dict[str, Any]]:
    """Return one group's coaches by username."""
    return (await coaches_of_groups([group_id]))[group_id]


async def coaches_of_groups(group_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return {group: its coaches by username} for many groups in one query."""
    result: dict[int, list[dict[str, Any]]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return result
    rows = await GroupCoach.select(
        GroupCoach.group.as_alias("group_id"),
        GroupCoach.coach.id.as_alias("id"),
        GroupCoach.coach.username.as_alias("username"),
        GroupCoach.coach.display_name.as_alias("display_name"),
        GroupCoach.coach.is_active.as_alias("is_active"),
    ).where(GroupCoach.group.is_in(group_ids)).order_by(GroupCoach.coach.username)
    for row in rows:
        result[row.pop("group_id")].append(row)
    return result


async def groups_page(raw_q: str | None, raw_page: str | None) -> Listing:
    """Return the page asked for of every group, newest first, found by name, with coaches."""
    select = (CoachingGroup.select(CoachingGroup.id, CoachingGroup.name,
                                   CoachingGroup.starts_on, CoachingGroup.ends_on,
                                   CoachingGroup.closed_at)
              .order_by(CoachingGroup.starts_on, ascending=False)
              .order_by(CoachingGroup.id, ascending=False))
    listing = await page_of(select, CoachingGroup.count(), raw_q, raw_page)
    coaches = await coaches_of_groups([group["id"] for group in listing.items])
    for group in listing.items:
        group["coaches"] = coaches[group["id"]]
    return listing


async def assign_coach(group_id: int, user_id: int) -> bool:
    """Make an active coach a coach of the group; False if they cannot be one."""
    is_coach = await User.exists().where(
        (User.id == user_id) & (User.role == Role.coach) & (User.is_active == True)  # noqa: E712
    )
    if not is_coach:
        return False
    already = await GroupCoach.exists().where(
        (GroupCoach.group == group_id) & (GroupCoach.coach == user_id)
    )
    if not already:
        await GroupCoach(group=group_id, coach=user_id).save()
    return True


async def unassign_coach(group_id: int, user_id: int) -> None:
    """Remove a coach from a group; their "fill in together" sessions there end too."""
    await GroupCoach.delete().where(
        (GroupCoach.group == group_id) & (GroupCoach.coach == user_id)
    )


async def close_group(group_id: int) -> None:
    """Close a group: its participants' links and sessions end at once."""
    await CoachingGroup.update({CoachingGroup.closed_at: now()}).where(
        CoachingGroup.id == group_id
    )
    await end_group_access(group_id)
