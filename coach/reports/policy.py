"""The project's disclosure policy: chosen by an admin, stored in the database."""

from __future__ import annotations

from coach.audit.log import now
from coach.reports.disclosure import POLICY_NAMES, STANDARD, Policy, get_policy
from coach.reports.tables import ProjectSetting

POLICY_KEY = "disclosure_policy"


async def current_policy() -> Policy:
    """Return the policy in force; "standard" until an admin chooses."""
    row = await ProjectSetting.select(ProjectSetting.value).where(
        ProjectSetting.key == POLICY_KEY
    ).first()
    return get_policy(row["value"] if row else STANDARD)


async def set_policy(name: str, user_id: int | None) -> Policy:
    """Store the policy; refuse a name that is not a policy."""
    if name not in POLICY_NAMES:
        raise ValueError(f"unknown disclosure policy {name!r}")
    values = {ProjectSetting.value: name, ProjectSetting.updated_by: user_id,
              ProjectSetting.updated_at: now()}
    updated = await ProjectSetting.update(values).where(
        ProjectSetting.key == POLICY_KEY).returning(ProjectSetting.id)
    if not updated:
        try:
            await ProjectSetting.insert(ProjectSetting(
                key=POLICY_KEY, value=name, updated_by=user_id, updated_at=now()))
        except Exception:
            # Another admin saved at the same moment and made the row (the key is unique).
            await ProjectSetting.update(values).where(ProjectSetting.key == POLICY_KEY)
    return get_policy(name)
