"""Refusals use the OpenAI error shape and the headers clients act on."""

from __future__ import annotations

import pytest

from genai_service.guardrails.errors import (
    injection_blocked,
    too_many_requests,
    unauthorized,
)

pytestmark = pytest.mark.unit


def test_unauthorized_is_openai_shaped_with_www_authenticate() -> None:
    r = unauthorized()
    assert r.status == 401
    assert set(r.body()["error"]) == {"message", "type", "param", "code"}
    assert r.body()["error"]["code"] == "invalid_api_key"
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert unauthorized().body() == r.body()  # one answer for every failure


def test_rate_limit_and_budget_differ_in_type_and_retry_hint() -> None:
    rate = too_many_requests("slow down", 7, budget=False, retryable=True)
    assert rate.status == 429 and rate.headers == {"Retry-After": "7"}
    assert rate.body()["error"]["code"] == "rate_limit_exceeded"
    budget = too_many_requests("spent", 3600, budget=True, retryable=False)
    assert budget.body()["error"]["type"] == "insufficient_quota"
    assert budget.headers == {"Retry-After": "3600", "x-should-retry": "false"}


def test_injection_block_names_the_param_not_the_text() -> None:
    r = injection_blocked()
    assert r.status == 400
    assert r.body()["error"]["param"] == "messages"
    assert r.body()["error"]["code"] == "prompt_injection_detected"
