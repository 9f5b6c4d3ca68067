"""The groups of the front page: open ones with next steps in detail, the others by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.querystring import QueryString

from coach.auth.access import visible_groups
from coach.auth.actor import Actor
from coach.groups import services as group_services
from coach.groups.tables import CoachingGroup
from coach.paging import Listing, nothing_listed, page_of

# A group's follow-up closes some seven months after its end (the six-month check and the
# weeks to answer it): a group that ended a year ago has no next steps, and is not read to
# find that out. tests/test_admin_paging.py checks this against has_next_steps.
LONGEST_FOLLOW_UP = dt.timedelta(days=366)


async def home_groups(actor: Actor, today: dt.date, raw_q: str | None, raw_page: str | None
                      ) -> tuple[list[dict[str, Any]], Listing]:
    """Return the open groups with their next steps, and the page asked for of the others.

    The others are the groups past their follow-up, and any beyond HOME_DETAIL_LIMIT (listed
    first): an admin may have thousands, so the database searches, counts and pages them.
    Which groups have next steps is has_next_steps' to say, read for the recent ones only.
    """
    visible = visible_groups(actor)
    if visible is None:
        return [], nothing_listed(raw_q, raw_page)
    shown = visible & CoachingGroup.closed_at.is_null()
    # Only the groups that ended lately or run may have next steps: a bounded read.
    recent = await (CoachingGroup.select(CoachingGroup.id, CoachingGroup.starts_on,
                                         CoachingGroup.ends_on)
                    .where(shown)
                    .where(CoachingGroup.ends_on >= today - LONGEST_FOLLOW_UP)
                    .order_by(CoachingGroup.starts_on, ascending=False)
                    .order_by(CoachingGroup.name).order_by(CoachingGroup.id))
    with_steps = [row["id"] for row in recent if group_services.has_next_steps(row, today)]
    limit = group_services.HOME_DETAIL_LIMIT
    detailed, beyond = with_steps[:limit], with_steps[limit:]
    groups: list[dict[str, Any]] = []
    others = shown
    if detailed:
        # All of them have next steps and are within the limit: none is left for the others.
        groups = await group_services.group_cards(detailed, today)
        others &= CoachingGroup.id.not_in(detailed)
    select = CoachingGroup.select(CoachingGroup.id, CoachingGroup.name, CoachingGroup.starts_on,
                                  CoachingGroup.ends_on).where(others)
    if beyond:
        select = select.order_by(QueryString("CASE WHEN {} THEN 0 ELSE 1 END",
                                             CoachingGroup.id.is_in(beyond).querystring))
    select = (select.order_by(CoachingGroup.starts_on, ascending=False)
              .order_by(CoachingGroup.name).order_by(CoachingGroup.id))
    return groups, await page_of(select, CoachingGroup.count().where(others), raw_q, raw_page)
