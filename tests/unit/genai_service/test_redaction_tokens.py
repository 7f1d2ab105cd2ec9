"""Caller-made tokens: AWS secrets in URL paths, PII glued to a word by '-', request ids."""

from __future__ import annotations

import uuid

import pytest

from genai_service.api.request_ids import choose
from lab_telemetry.redaction import redact_attribute, redact_text, redact_tokens, token_pii_kind

pytestmark = pytest.mark.unit

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    "path",
    [f"/v1/models/{SECRET}", f"/v1/keys/{SECRET}/rotate", f"GET /v1/models/{SECRET} HTTP/1.1"],
)
def test_aws_secret_after_a_slash_is_redacted(path: str) -> None:
    assert SECRET not in redact_text(path)
    assert "[REDACTED:aws_secret_key]" in redact_text(path)


@pytest.mark.parametrize(
    "path",
    [
        "/Users/JaneSmith/Documents/ProjectsAlpha/Reports/x",
        "/api/Organisations/AcmeCorporation/Members/List",
    ],
)
def test_mixed_case_paths_without_digits_are_not_secrets(path: str) -> None:
    assert redact_text(path) == path


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("order-4111111111111111", "card_number"),
        ("gpt-123-45-6789", "us_ssn"),
        ("host:203.0.113.77", "ip_address"),
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("checkout-42.retry:1", None),
        ("claude-haiku-4-5", None),
    ],
)
def test_token_pii_kind(token: str, kind: str | None) -> None:
    assert token_pii_kind(token) == kind


def test_redact_tokens_keeps_the_message_and_replaces_the_token() -> None:
    text = "The model 'gpt-123-45-6789' does not exist. Available: claude-haiku-4-5."
    assert redact_tokens(text) == (
        "The model '[REDACTED:us_ssn]' does not exist. Available: claude-haiku-4-5."
    )


def test_url_attributes_are_read_segment_by_segment() -> None:
    assert (
        redact_attribute("url.path", "/v1/models/card-5500005555555559")
        == "/v1/models/[REDACTED:card_number]"
    )
    assert redact_attribute("url.query", "a=1&id=order-4111111111111111") == (
        "a=1&id=[REDACTED:card_number]"
    )
    # Other attributes keep the ordinary rules.
    assert redact_attribute("gen_ai.request.model", "x-4111111111111111").startswith("x-")


def test_request_id_choice() -> None:
    assert choose("checkout-42.retry:1") == ("checkout-42.retry:1", False)
    for pii in ("123-45-6789", "order-4111111111111111", "GB82WEST12345698765432"):
        rid, replaced = choose(pii)
        assert replaced and uuid.UUID(hex=rid) and rid != pii
    rid, replaced = choose("bad id with spaces")
    assert not replaced and uuid.UUID(hex=rid)
