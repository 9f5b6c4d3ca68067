"""Usernames are unique regardless of case (issue 12, point 5), also at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from coach.accounts.services import create_user
from coach.accounts.tables import User
from coach.audit.log import now
from tests.coach_world import sign_in
from tests.factories import make_user

PASSWORD = "a perfectly long passphrase 2026"


async def test_the_same_name_in_other_case_is_refused():
    await create_user("coach1", PASSWORD, "coach")
    with pytest.raises(ValueError, match="taken"):
        await create_user("COACH1", PASSWORD, "coach")
    assert await User.count() == 1


async def test_the_database_refuses_it_too():
    await make_user("Aino")
    with pytest.raises(Exception):  # noqa: B017 (sqlite3.IntegrityError or asyncpg's)
        await User(username="aINO", display_name="x", password_hash="x", role="coach",
                   created_at=now()).save()
    assert await User.count() == 1


async def test_two_at_the_same_moment_make_one_user():
    results = await asyncio.gather(
        create_user("Eeva", PASSWORD, "coach"), create_user("EEVA", PASSWORD, "coach"),
        return_exceptions=True)
    assert sum(isinstance(result, User) for result in results) == 1
    assert all(isinstance(result, (User, ValueError)) for result in results)
    assert await User.count() == 1


async def test_the_admin_form_says_the_name_is_taken(client):
    admin = await make_user("boss", role="admin")
    await make_user("coach1")
    await sign_in(client, admin)
    response = await client.post("/admin/users", data={"username": "Coach1", "role": "coach"})
    assert response.status_code == 422
    assert "This username is taken." in response.text
    assert await User.count() == 2
