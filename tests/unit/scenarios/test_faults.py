"""Every scenario is a valid admin-API body, and recovery is the service's healthy default."""

from __future__ import annotations

import pytest

from scenarios.faults import FAILURE_SCENARIOS, HEALTHY, SCENARIOS, get_scenario

pytestmark = pytest.mark.unit

ADMIN_FIELDS = {"latency_ms", "error_rate", "error_type", "outage", "token_inflation"}


def test_the_issue_scenarios_are_all_there() -> None:
    assert set(SCENARIOS) == {
        "provider-latency",
        "provider-throttling",
        "provider-outage",
        "token-inflation",
        "error-storm",
        "recovery",
    }
    assert "recovery" not in FAILURE_SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_body_has_exactly_the_admin_fields(name: str) -> None:
    body = SCENARIOS[name].faults.as_dict()
    assert set(body) == ADMIN_FIELDS
    assert SCENARIOS[name].summary and SCENARIOS[name].expect


def test_failures_are_not_healthy_and_recovery_is() -> None:
    assert not get_scenario("recovery").faults.active
    for name in FAILURE_SCENARIOS:
        assert SCENARIOS[name].faults.active, name


def test_scenarios_inject_what_their_names_say() -> None:
    assert SCENARIOS["provider-outage"].faults.outage
    assert SCENARIOS["provider-throttling"].faults.error_type == "throttled"
    assert 0 < SCENARIOS["provider-throttling"].faults.error_rate < 1
    assert SCENARIOS["provider-latency"].faults.latency_ms > 0
    assert SCENARIOS["token-inflation"].faults.token_inflation > 1
    assert SCENARIOS["token-inflation"].faults.error_rate == 0


def test_matches_the_service_defaults() -> None:
    # DELETE /admin/faults restores the service's default faults; recovery must mean the same.
    from genai_service.settings import Settings

    assert Settings().faults == HEALTHY


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="provider-outage"):
        get_scenario("meteor-strike")
