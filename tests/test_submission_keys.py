"""Submission keys: the same entry sent again is saved once (coach.submissions)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from coach.audit.tables import AuditEvent
from coach.submissions.service import (
    BadKey,
    KeyReused,
    from_form,
    new_key,
    participant_actor,
    save_once,
    user_actor,
)
from coach.submissions.tables import FormSubmission

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def form(key: str, **fields: str) -> list[tuple[str, str]]:
    return [("_csrf_token", "token-" + key[:4]), ("submission_key", key), *fields.items()]


async def count_events() -> int:
    return await AuditEvent.count()


def writer(action: str = "test.write"):
    """A write that leaves one visible row per run and returns its target page."""

    async def write() -> str:
        await AuditEvent.insert(AuditEvent(action=action, occurred_at=NOW))
        return "/somewhere"

    return write


async def test_the_same_key_and_content_is_saved_once_and_answers_as_the_first_time():
    key = new_key()
    first = from_form(user_actor(1), form(key, note="hello"))
    # Sent again with another CSRF token and the fields in another order: the same entry.
    again = from_form(user_actor(1), list(reversed(form(key, note="hello"))))
    assert await save_once(first, writer()) == ("/somewhere", False)
    assert await save_once(again, writer()) == ("/somewhere", True)
    assert await count_events() == 1


async def test_the_same_key_with_other_content_is_refused_and_writes_nothing():
    key = new_key()
    await save_once(from_form(user_actor(1), form(key, note="hello")), writer())
    with pytest.raises(KeyReused):
        await save_once(from_form(user_actor(1), form(key, note="changed")), writer())
    assert await count_events() == 1


async def test_two_users_keys_never_collide():
    key = new_key()
    await save_once(from_form(user_actor(1), form(key, note="a")), writer())
    await save_once(from_form(user_actor(2), form(key, note="b")), writer())
    await save_once(from_form(participant_actor(1), form(key, note="c")), writer())
    assert await count_events() == 3
    assert await FormSubmission.count() == 3


async def test_a_refused_write_keeps_the_key_free_for_the_corrected_entry():
    key = new_key()

    async def refused() -> str:
        await AuditEvent.insert(AuditEvent(action="half", occurred_at=NOW))
        raise ValueError("bad date")

    with pytest.raises(ValueError):
        await save_once(from_form(user_actor(1), form(key, date="2099-01-01")), refused)
    assert await count_events() == 0  # nothing half-written
    assert await save_once(from_form(user_actor(1), form(key, date="2026-01-01")), writer()) == (
        "/somewhere",
        False,
    )
    assert await count_events() == 1


async def test_a_form_without_a_key_is_saved_as_before():
    assert from_form(user_actor(1), [("note", "x")]) is None
    assert await save_once(None, writer()) == ("/somewhere", False)
    assert await save_once(None, writer()) == ("/somewhere", False)
    assert await count_events() == 2


@pytest.mark.parametrize("bad", ["x", "1" * 36, new_key().upper(), new_key() + "0", "' OR 1=1 --"])
def test_a_key_that_is_not_a_uuid_is_refused(bad):
    with pytest.raises(BadKey):
        from_form(user_actor(1), form(bad))


def test_two_keys_in_one_form_are_refused():
    with pytest.raises(BadKey):
        from_form(user_actor(1), [("submission_key", new_key()), ("submission_key", new_key())])


async def test_sends_at_the_same_moment_write_once():
    """Five sends of one entry at once (on PostgreSQL each on its own connection)."""
    key = new_key()

    async def slow_write() -> str:
        await AuditEvent.insert(AuditEvent(action="race", occurred_at=NOW))
        await asyncio.sleep(0.05)  # widen the window between the write and the commit
        return "/raced"

    submissions = [from_form(user_actor(7), form(key, note="same")) for _ in range(5)]
    results = await asyncio.gather(
        *(save_once(submission, slow_write) for submission in submissions),
        return_exceptions=True,
    )
    assert all(result == ("/raced", result[1]) for result in results), results
    assert sorted(result[1] for result in results) == [False, True, True, True, True]
    assert await count_events() == 1


async def test_erasure_forgets_the_persons_keys_and_keys_leading_to_their_page():
    from coach.submissions.service import forget_submissions_of

    async def to(target: str):
        async def write() -> str:
            return target

        return write

    kept = ["/participants/12", "/participants/10#news", "/groups/1"]
    gone = ["/participants/1", "/participants/1#news", "/participants/1/edit",
            "/participants/1?x=1"]
    for target in kept + gone:
        await save_once(from_form(user_actor(1), form(new_key(), t=target)), await to(target))
    await save_once(from_form(participant_actor(1), form(new_key())), await to("/me"))
    await save_once(from_form(participant_actor(2), form(new_key())), await to("/me"))
    await forget_submissions_of(1)
    remaining = await FormSubmission.select(FormSubmission.actor, FormSubmission.target)
    assert sorted(row["target"] for row in remaining) == sorted([*kept, "/me"])
    assert {row["actor"] for row in remaining if row["target"] == "/me"} == {"participant:2"}
