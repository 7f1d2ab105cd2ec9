"""Guardrail settings come from the environment, with defaults for `make run`."""

from __future__ import annotations

import pytest

from genai_service.guardrails.settings import DEFAULT_LIMITS, GuardrailSettings

pytestmark = pytest.mark.unit


def test_defaults_keep_keys_optional_and_limits_on() -> None:
    s = GuardrailSettings.from_env({})
    assert s.require_api_key is False
    assert s.rate_limits_enabled is True
    assert s.limits == DEFAULT_LIMITS
    assert (s.injection_flag_threshold, s.injection_block_threshold) == (0.5, 0.8)
    assert s == GuardrailSettings()  # unset: the declared defaults


def test_limits_per_tier_are_read_from_env() -> None:
    s = GuardrailSettings.from_env(
        {
            "REQUIRE_API_KEY": "true",
            "RATE_LIMIT_FREE_RPM": "3",
            "RATE_LIMIT_PRO_TPM": "1234",
            "BUDGET_ENTERPRISE_DAILY_USD": "0.25",
        }
    )
    assert s.require_api_key is True
    assert s.limits["free"].requests_per_minute == 3
    assert s.limits["pro"].tokens_per_minute == 1234
    assert s.limits["enterprise"].daily_budget_usd == 0.25
    assert s.limits["free"].tokens_per_minute == DEFAULT_LIMITS["free"].tokens_per_minute


@pytest.mark.parametrize(
    "env",
    [
        {"REQUIRE_API_KEY": "maybe"},
        {"RATE_LIMIT_FREE_RPM": "lots"},
        {"RATE_LIMIT_FREE_RPM": "0"},
        {"INJECTION_FLAG_THRESHOLD": "0.9", "INJECTION_BLOCK_THRESHOLD": "0.5"},
    ],
)
def test_bad_values_fail_at_start(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        GuardrailSettings.from_env(env)
