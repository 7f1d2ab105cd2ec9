"""Settings from the environment: defaults, parsing, and clear errors for bad values."""

from __future__ import annotations

from operator import attrgetter

import pytest

from genai_service.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

RATES = {"throttled": 0.01, "timeout": 0.02}


def test_defaults_need_no_environment() -> None:
    s = Settings.from_env({})
    assert s.provider == "simulated"
    assert s.daily_budget_usd == 250.0
    assert s.admin_token is None
    assert s.faults.error_rate == 0 and s.faults.token_inflation == 1
    assert "acme" in s.known_tenants
    assert s.log_generator_enabled and s.simulated_users_enabled
    assert s == Settings()  # unset: the declared defaults


@pytest.mark.parametrize(
    ("name", "value", "setting", "parsed"),
    [
        ("LLM_PROVIDER", "bedrock", "provider", "bedrock"),
        ("DAILY_BUDGET_USD", "12.5", "daily_budget_usd", 12.5),
        ("KNOWN_TENANTS", "a, b,a", "known_tenants", ("a", "b")),
        ("ADMIN_TOKEN", "secret", "admin_token", "secret"),
        ("FAULT_ERROR_RATE", "0.25", "faults.error_rate", 0.25),
        ("FAULT_ERROR_TYPE", "throttled", "faults.error_type", "throttled"),
        ("FAULT_OUTAGE", "true", "faults.outage", True),
        ("SIM_ERROR_RATES", "throttled=0.01,timeout=0.02", "sim_error_rates", RATES),
        ("SIM_LATENCY_MS", "0", "sim_latency_ms", 0),
        ("MAX_BODY_BYTES", "2048", "max_body_bytes", 2048),
        ("LOG_GENERATOR_ENABLED", "false", "log_generator_enabled", False),
        ("LOG_GENERATOR_RATE_PER_S", "7.5", "log_generator_rate_per_s", 7.5),
        ("LOG_GENERATOR_RATE_PER_S", "-1", "log_generator_rate_per_s", 0),
        ("LOG_GENERATOR_WARNING_RATIO", "1.5", "log_generator_warning_ratio", 1),
        ("SIMULATED_USERS_ENABLED", "0", "simulated_users_enabled", False),
        ("SIMULATED_USERS_MAX", "40", "simulated_users_max", 40),
        ("SIMULATED_USERS_MAX", "0", "simulated_users_max", 1),
        ("REQUIRE_API_KEY", "true", "guardrails.require_api_key", True),
        ("RATE_LIMITS_ENABLED", "false", "guardrails.rate_limits_enabled", False),
        ("INJECTION_FLAG_THRESHOLD", "0.3", "guardrails.injection_flag_threshold", 0.3),
    ],
)
def test_a_variable_sets_its_setting(name: str, value: str, setting: str, parsed: object) -> None:
    # Out-of-range background rates and ratios are clamped, not refused: it is only decoration.
    assert attrgetter(setting)(Settings.from_env({name: value})) == parsed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_PROVIDER", "openai"),
        ("DAILY_BUDGET_USD", "lots"),
        ("FAULT_ERROR_RATE", "2"),
        ("FAULT_ERROR_TYPE", "boom"),
        ("FAULT_TOKEN_INFLATION", "0.5"),
        ("CACHE_ENABLED", "maybe"),
        ("SIM_ERROR_RATES", "throttled=0.8,timeout=0.5"),
        ("SIM_ERROR_RATES", "exploded=0.1"),
        ("SIM_LATENCY_MS", "-5"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
