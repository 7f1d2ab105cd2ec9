"""Settings from the environment: defaults, parsing, and clear errors for bad values."""

from __future__ import annotations

import pytest

from genai_service.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


def test_defaults_need_no_environment() -> None:
    s = Settings.from_env({})
    assert s.provider == "simulated"
    assert s.daily_budget_usd == 250.0
    assert s.admin_token is None
    assert s.faults.error_rate == 0 and s.faults.token_inflation == 1
    assert "acme" in s.known_tenants


def test_environment_overrides() -> None:
    s = Settings.from_env(
        {
            "LLM_PROVIDER": "bedrock",
            "DAILY_BUDGET_USD": "12.5",
            "KNOWN_TENANTS": "a, b,a",
            "ADMIN_TOKEN": "secret",
            "FAULT_ERROR_RATE": "0.25",
            "FAULT_ERROR_TYPE": "throttled",
            "FAULT_OUTAGE": "true",
            "SIM_ERROR_RATES": "throttled=0.01,timeout=0.02",
            "SIM_LATENCY_MS": "0",
            "MAX_BODY_BYTES": "2048",
        }
    )
    assert s.provider == "bedrock"
    assert s.daily_budget_usd == 12.5
    assert s.known_tenants == ("a", "b")
    assert s.admin_token == "secret"
    assert (s.faults.error_rate, s.faults.error_type, s.faults.outage) == (0.25, "throttled", True)
    assert s.sim_error_rates == {"throttled": 0.01, "timeout": 0.02}
    assert s.sim_latency_ms == 0 and s.max_body_bytes == 2048


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
