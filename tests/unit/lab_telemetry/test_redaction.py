"""PII redaction: every type is found, validators keep look-alikes, nothing else changes."""

from __future__ import annotations

import pytest

from lab_telemetry.redaction import (
    KINDS,
    iban_valid,
    luhn_valid,
    redact_mapping,
    redact_text,
    redact_value,
)

pytestmark = pytest.mark.unit

# (kind, text holding one instance, the instance)
POSITIVES = [
    ("email", "write to alice.smith+tag@example.co.uk today", "alice.smith+tag@example.co.uk"),
    ("email", "CC: Bob_Jones@mail.example.com.", "Bob_Jones@mail.example.com"),
    ("phone_number", "call +44 20 7946 0958 now", "+44 20 7946 0958"),
    ("phone_number", "call (415) 555-2671 now", "(415) 555-2671"),
    ("phone_number", "call 415-555-2671 now", "415-555-2671"),
    ("phone_number", "call 415.555.2671 now", "415.555.2671"),
    ("phone_number", "whatsapp +14155552671", "+14155552671"),
    ("phone_number", "tel: +33 1 42 68 53 00.", "+33 1 42 68 53 00"),
    ("card_number", "card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"),
    ("card_number", "card 5500-0000-0000-0004", "5500-0000-0000-0004"),
    ("card_number", "amex 378282246310005", "378282246310005"),
    ("iban", "pay GB82 WEST 1234 5698 7654 32 TO me", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "IBAN DE89370400440532013000", "DE89370400440532013000"),
    ("us_ssn", "SSN 123-45-6789.", "123-45-6789"),
    ("ip_address", "from 203.0.113.42:443", "203.0.113.42"),
    ("ip_address", "peer 10.1.2.3", "10.1.2.3"),
    ("ip_address", "v6 2001:db8::8a2e:370:7334 end", "2001:db8::8a2e:370:7334"),
    ("ip_address", "link fe80::1.", "fe80::1"),
    ("aws_access_key_id", "key AKIAIOSFODNN7EXAMPLE ok", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_access_key_id", "temp ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (
        "aws_secret_key",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("bearer_token", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ("bearer_token", "auth=bearer abcdefgh12345678", "abcdefgh12345678"),
]

# Text that looks like PII but is not, and must stay as it is.
NEGATIVES = [
    "card-like 1234 5678 9012 3456 fails Luhn",
    "order 4111111111111112 fails Luhn",
    "IBAN-like GB00 WEST 1234 5698 7654 32 fails mod-97",
    "SSN never issued 000-12-3456 and 666-12-3456 and 912-12-3456",
    "version 1.45.2 and 0.66b2",
    "at 2026-11-22T05:43:23.123Z took 0.0123s",
    "clock 12:30:45 and ratio 3:2",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "sha1 3f786850e387550fdab836ed7e6dc881de23001b",
    "loopback 127.0.0.1 and ::1 and 0.0.0.0 are nobody's",
    "POST /v1/chat/completions 200",
    "tokens=1234 latency_ms=250 users=25",
    "request id 6f1c2e4a9b8d4e0f",
    "",
]


@pytest.mark.parametrize(("kind", "text", "secret"), POSITIVES)
def test_each_type_is_redacted(kind: str, text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_every_advertised_kind_has_a_positive_case() -> None:
    assert {k for k, _, _ in POSITIVES} == set(KINDS)


def test_surrounding_text_is_kept() -> None:
    out = redact_text("Hi, I'm Ann (ann@example.com), card 4111111111111111, thanks!")
    assert out == "Hi, I'm Ann ([REDACTED:email]), card [REDACTED:card_number], thanks!"


def test_greedy_matches_trim_back_to_the_valid_number() -> None:
    # The IBAN is followed by more upper-case groups; the card by a year.
    assert redact_text("GB82 WEST 1234 5698 7654 32 AB12") == "[REDACTED:iban] AB12"
    assert redact_text("4111 1111 1111 1111 2029") == "[REDACTED:card_number] 2029"


def test_url_encoded_pii_is_found() -> None:
    assert redact_text("note=ann%40example.com&x=1") == "note=[REDACTED:email]&x=1"
    assert "4111" not in redact_text("card=4111+1111+1111+1111")
    # '+' that is not an encoding is left as it was.
    assert redact_text("1+1=2 and c++") == "1+1=2 and c++"
    assert redact_text("call +44 20 7946 0958") == "call [REDACTED:phone_number]"


def test_redaction_is_idempotent() -> None:
    for _, text, _ in POSITIVES:
        once = redact_text(text)
        assert redact_text(once) == once


def test_long_text_without_cache_is_redacted() -> None:
    text = ("lorem ipsum dolor sit amet " * 40) + "mail zed@example.net" + (" tail" * 20)
    assert len(text) > 256
    out = redact_text(text)
    assert "zed@example.net" not in out and out.startswith("lorem ipsum")


def test_structured_values() -> None:
    value = {
        "user": "x@example.com",
        "ids": ["4111111111111111", 7],
        "nested": {"ip": ("203.0.113.1", True)},
    }
    out = redact_value(value)
    assert out == {
        "user": "[REDACTED:email]",
        "ids": ["[REDACTED:card_number]", 7],
        "nested": {"ip": ("[REDACTED:ip_address]", True)},
    }
    assert redact_mapping({"a": "b"}) == {"a": "b"}
    assert redact_mapping(None) is None


def test_validators() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB00WEST12345698765432")


def _luhn_valid_run(start: int, count: int) -> list[str]:
    """The first `count` Luhn-valid numbers from start up, as strings."""
    out: list[str] = []
    n = start
    while len(out) < count:
        if luhn_valid(str(n)):
            out.append(str(n))
        n += 1
    return out


# Epoch timestamps of 2026-11 in ns (19 digits, Loki's start/end), us (16) and ms (13); one
# in ten passes Luhn, which is what redacted aiops's Loki query URLs.
TIMESTAMPS = [
    *_luhn_valid_run(1_764_170_000_123_456_789, 3),
    *_luhn_valid_run(1_764_170_000_123_456, 3),
    *_luhn_valid_run(1_764_170_000_123, 3),
]


@pytest.mark.parametrize("stamp", TIMESTAMPS)
def test_luhn_valid_epoch_timestamps_are_not_cards(stamp: str) -> None:
    assert luhn_valid(stamp)
    url = (
        "GET http://loki:3100/loki/api/v1/query_range?query=%7Bservice_name%3D%22genai-service"
        f"%22%7D&start={stamp}&end={stamp}&limit=50"
    )
    assert redact_text(url) == url
    assert redact_text(f"ts={stamp} level=info") == f"ts={stamp} level=info"
    assert redact_value({"time_unix_nano": stamp}) == {"time_unix_nano": stamp}


# Published test numbers of each network, bare (no word, no grouping): the issuer prefix and
# length are the card-like context.
NETWORK_TEST_NUMBERS = [
    "4222222222222",  # Visa, 13 digits
    "4111111111111111",  # Visa
    "5555555555554444",  # Mastercard
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # Amex
    "6011111111111117",  # Discover
    "3530111333300000",  # JCB
    "30569309025904",  # Diners Club, 14 digits
    "6200000000000005",  # UnionPay
    "6759649826438453",  # Maestro
]


@pytest.mark.parametrize("number", NETWORK_TEST_NUMBERS)
def test_bare_card_numbers_of_every_network_are_redacted(number: str) -> None:
    assert redact_text(f"ids {number} ok") == "ids [REDACTED:card_number] ok"


def test_a_card_word_makes_any_luhn_valid_number_a_card() -> None:
    # Luhn-valid, but no network issues numbers starting with 1 at 16 digits.
    number = "1234567812345670"
    assert luhn_valid(number)
    assert redact_text(f"id {number}") == f"id {number}"
    for text in (
        f"card number: {number}",
        f"credit card {number}",
        f"cc={number}",
        "Card no. 1234 5678 1234 5670",
    ):
        assert number[:8] not in redact_text(text).replace(" ", ""), text
    # Still not without Luhn, whatever the context.
    assert redact_text("card 1234567812345678") == "card 1234567812345678"


def test_safe_text_is_passed_through_unscanned() -> None:
    from lab_telemetry.redaction import SafeText

    # Looks like a card number, but is declared safe (a keyed hash, a generated id): kept.
    safe = SafeText("4111111111111111")
    assert redact_value(safe) is safe and redact_text(safe) is safe
    # The same characters as ordinary text are scanned.
    assert redact_text(str(safe)) != str(safe)
    assert redact_value(["x", safe])[1] is safe
