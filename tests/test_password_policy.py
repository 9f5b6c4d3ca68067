"""The password policy (NIST SP 800-63B) and Unicode normalisation of passwords."""

from __future__ import annotations

import html
import sqlite3
import time
import unicodedata

import pytest

from coach.accounts import passwords
from coach.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordRejected,
    check_policy,
    hash_password,
    verify_password,
)
from coach.accounts.tables import User
from tests.auth_helpers import DEFAULT_PASSWORD, csrf_token, sign_in_directly
from tests.factories import make_user
from tests.test_cli import run_coach

GOOD = "kolme iloista kissaa"


class RecordingHasher:
    """Stands in for Argon2 and remembers the length of every password it was given."""

    def __init__(self, real):
        self.real, self.lengths = real, []

    def hash(self, password):
        self.lengths.append(len(password))
        return self.real.hash(password)

    def verify(self, stored, password):
        self.lengths.append(len(password))
        return self.real.verify(stored, password)

    def check_needs_rehash(self, stored):
        return self.real.check_needs_rehash(stored)


@pytest.fixture
def hasher(monkeypatch):
    recording = RecordingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", recording)
    return recording


def refusal(password: str, username: str = "") -> str:
    with pytest.raises(PasswordRejected) as caught:
        check_policy(password, username)
    return str(caught.value)


@pytest.mark.parametrize("password", [
    " " * 12,  # all whitespace
    "\t \u3000" * 5,  # other whitespace, an ideographic space among it
    "a" * 12,  # one character repeated
    "ä" * 40,
    "x" * 129,  # over the maximum
    "x" * 200_000,
    "Password1234",  # on the common-password list, whatever the case
    "ｐａｓｓｗｏｒｄ１２３４",  # the same in full-width letters: NFKC makes it the common one
    "short",
])
def test_weak_passwords_are_refused(password):
    assert refusal(password)


def test_the_username_is_refused_whatever_its_case_or_width():
    assert refusal("Maija.Virtanen", "maija.virtanen")
    assert refusal("ｍａｉｊａ．ｖｉｒｔａｎｅｎ", "maija.virtanen")
    assert refusal("my name is maija.virtanen", "maija.virtanen")


@pytest.mark.parametrize("password", [
    GOOD,
    "Kesä on lyhyt mutta kaunis",
    "ab" * 6,  # two different characters are not "one repeated"
    "  spaces around are kept  ",
    "x" * 100 + "y" * 28,  # exactly the maximum
])
def test_good_passwords_are_accepted(password):
    check_policy(password, "maija")


def test_length_is_counted_after_normalisation():
    # "㎏" (one character) is "kg" (two) after NFKC: 11 typed characters are 12.
    check_policy("lumiukko ㎏x", "")
    # "e" followed by a combining acute accent is one character "é" after NFKC.
    decomposed = "lumiukko" + "e\u0301" * 2
    assert len(decomposed) == 12 and len(unicodedata.normalize("NFKC", decomposed)) == 10
    assert "12" in refusal(decomposed)


def test_each_rule_has_its_own_message():
    messages = {refusal("short"), refusal(" " * 12), refusal("b" * 12), refusal("x" * 500),
                refusal("password1234"), refusal("maija.virtanen 1", "maija.virtanen")}
    assert len(messages) == 6
    assert "128" in refusal("x" * 500)


def test_an_overlong_password_never_reaches_argon2(hasher):
    started = time.perf_counter()
    assert refusal("x" * 200_000)
    assert not verify_password(passwords.DUMMY_HASH, "x" * 200_000)
    with pytest.raises(ValueError):
        hash_password("x" * 200_000)
    assert hasher.lengths == []
    assert time.perf_counter() - started < 0.5


def test_a_password_typed_on_another_keyboard_matches(hasher):
    stored = hash_password("ｋｏｌｍｅ ｉｌｏｉｓｔａ ｋｉｓｓａａ")  # full-width letters
    assert verify_password(stored, GOOD)
    composed = "Sää on kaunis tänään"
    decomposed = unicodedata.normalize("NFD", composed)
    stored = hash_password(decomposed)
    assert verify_password(stored, composed)
    assert verify_password(stored, decomposed)
    assert not verify_password(stored, "Saa on kaunis tanaan")
    assert max(hasher.lengths) <= MAX_PASSWORD_LENGTH


def test_hashes_made_before_normalisation_keep_verifying():
    # Earlier versions hashed the password exactly as typed.
    typed = "ｋｏｌｍｅ ｉｌｏｉｓｔａ ｋｉｓｓａａ"
    old_hash = passwords._hasher.hash(typed)
    assert verify_password(old_hash, typed)
    assert not verify_password(old_hash, GOOD + "!")
    plain_old_hash = passwords._hasher.hash(GOOD)  # the common case: already NFKC
    assert verify_password(plain_old_hash, GOOD)


async def test_password_change_shows_each_refusal_next_to_the_field(client):
    user = await make_user("maija.virtanen")
    await sign_in_directly(client, user=user)
    for new in (" " * 12, "z" * 12, "y" * 200_000, "Maija.Virtanen"):
        response = await client.post("/password", data={
            "current_password": DEFAULT_PASSWORD, "new_password": new, "new_password_again": new,
        })
        assert response.status_code == 422, new[:20]
        assert 'id="new_password-error"' in response.text
        assert 'aria-invalid="true"' in response.text
    assert (await User.objects().get(User.id == user.id)).password_hash == user.password_hash


async def test_password_change_in_finnish_says_why(client):
    user = await make_user("maija")
    await sign_in_directly(client, user=user)
    response = await client.post("/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": " " * 12,
        "new_password_again": " " * 12,
    }, headers={"accept-language": "fi"})
    assert response.status_code == 422
    assert "Salasana ei voi olla pelkkiä välilyöntejä." in html.unescape(response.text)


async def test_a_good_new_password_typed_differently_still_signs_in(client):
    user = await make_user("maija")
    await sign_in_directly(client, user=user)
    new = "ｋｏｌｍｅ ｉｌｏｉｓｔａ ｋｉｓｓａａ"
    changed = await client.post("/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": new, "new_password_again": new,
    }, follow_redirects=False)
    assert changed.status_code == 303
    stored = (await User.objects().get(User.id == user.id)).password_hash
    assert verify_password(stored, GOOD)


async def test_sign_in_with_an_overlong_password_is_a_plain_failure(client, hasher):
    await make_user("maija")
    token = csrf_token(client)
    for username in ("maija", "nobody"):
        response = await client.post("/login", data={
            "username": username, "password": "x" * 200_000, "_csrf_token": token,
        }, headers={"accept-language": "en"})
        assert response.status_code == 422
        assert "The username or password is not correct." in response.text
    assert hasher.lengths == []


def test_cli_user_add_refuses_a_password_of_spaces(tmp_path):
    assert run_coach(tmp_path, "migrate").returncode == 0
    result = run_coach(tmp_path, "user", "add", "--role", "admin", "root",
                       COACH_PASSWORD=" " * 12)
    assert result.returncode == 2
    assert "Password refused" in result.stderr
    count = sqlite3.connect(tmp_path / "coach.sqlite3").execute(
        "SELECT count(*) FROM app_user").fetchone()[0]
    assert count == 0
