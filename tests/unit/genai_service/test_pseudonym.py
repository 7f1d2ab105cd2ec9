"""Pseudonymous user ids and prompt hashes: stable under one key, unlinkable without it."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from genai_service.pseudonym import KEY_ENV, MAX_USER_ID_CHARS, Pseudonymiser

pytestmark = pytest.mark.unit

KEY = b"a-lab-secret-of-enough-length"


def test_user_ids_are_stable_keyed_hmacs() -> None:
    p = Pseudonymiser(KEY)
    uid = p.user_id("alice@example.com")
    assert uid == p.user_id("alice@example.com") == Pseudonymiser(KEY).user_id("alice@example.com")
    expected = hmac.new(KEY, b"alice@example.com", hashlib.sha256).hexdigest()[:16]
    assert uid == "u_" + expected
    assert uid != p.user_id("bob@example.com")
    # A plain hash of a guess does not reveal it: the key is needed.
    assert expected != hashlib.sha256(b"alice@example.com").hexdigest()[:16]
    assert Pseudonymiser(b"another-lab-secret-entirely").user_id("alice@example.com") != uid


@pytest.mark.parametrize("raw", [None, "", "   ", "x" * (MAX_USER_ID_CHARS + 1)])
def test_absent_or_oversized_ids_give_no_user(raw: str | None) -> None:
    assert Pseudonymiser(KEY).user_id(raw) is None


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match=KEY_ENV):
        Pseudonymiser(b"short")


def test_prompt_hash_separates_parts_and_depends_on_the_key() -> None:
    p = Pseudonymiser(KEY)
    assert p.prompt_hash(["ab", "c"]) != p.prompt_hash(["a", "bc"])
    assert p.prompt_hash(["user", "hi"]) == p.prompt_hash(iter(["user", "hi"]))
    assert len(p.prompt_hash(["user", "hi"])) == 16
    assert Pseudonymiser(b"another-lab-secret-entirely").prompt_hash(["user", "hi"]) != (
        p.prompt_hash(["user", "hi"])
    )


def test_without_the_key_a_process_key_is_used_and_said(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        a = Pseudonymiser.from_env({})
    assert "USER_ID_HASH_KEY is not set" in caplog.text
    assert a.user_id("alice") != Pseudonymiser.from_env({}).user_id("alice")
    assert Pseudonymiser.from_env({KEY_ENV: KEY.decode()}).user_id("alice") == Pseudonymiser(
        KEY
    ).user_id("alice")
