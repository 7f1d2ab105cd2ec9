"""Injected scenarios show up in Locust's numbers as they should, against the real service.

Faults are set through the same client `make chaos` uses. Tolerance for a ratio: every provider
call fails independently with probability p, so the failures among n calls are Binomial(n, p);
the observed ratio is accepted within Z standard errors, sqrt(p(1-p)/n). Z = 4.5 makes a false
alarm about 1 in 150,000 runs, while a wrong rate (e.g. 0.15 or 0.6 instead of 0.3 with n in the
hundreds) lies 10+ standard errors away and still fails.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scenarios.clients import FaultsClient
from scenarios.faults import get_scenario
from tests.support.locust_headless import LocustRun, run_locust
from tools.processes import RunningProcess, run_service

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = secrets.token_urlsafe(16)
SERVICE_ENV = {
    "ADMIN_TOKEN": ADMIN_TOKEN,
    "RATE_LIMITS_ENABLED": "false",
    "SIM_LATENCY_MS": "20",
    "SIM_TOKEN_MS": "0.5",
}
# The requests that always reach the provider (the repeated prompt may be a cache hit).
PROVIDER_CALLS = ("chat", "chat (stream)", "embeddings")
Z = 4.5


def within_binomial(failures: int, n: int, p: float, z: float = Z) -> tuple[bool, float]:
    tolerance = z * math.sqrt(p * (1 - p) / n)
    return abs(failures / n - p) <= tolerance, tolerance


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    with run_service(SERVICE_ENV) as proc:
        yield proc


@pytest.fixture
def faults(service: RunningProcess) -> Iterator[FaultsClient]:
    client = FaultsClient(service.base_url, ADMIN_TOKEN)
    yield client
    client.clear()
    client.close()


def load(service: RunningProcess, tmp_path: Path) -> LocustRun:
    # Shorter think times than the shape tests: the ratio needs a few hundred provider calls.
    env = {"LAB_THINK_MIN_S": "0.01", "LAB_THINK_MAX_S": "0.04"}
    return run_locust(service.base_url, tmp_path, users=10, run_s=6, env=env)


def test_throttling_fails_the_injected_share_of_provider_calls(
    service: RunningProcess, faults: FaultsClient, tmp_path: Path
) -> None:
    scenario = get_scenario("provider-throttling")
    p = scenario.faults.error_rate
    faults.apply(scenario.faults)
    result = load(service, tmp_path)
    n = sum(result.entry(name).requests for name in PROVIDER_CALLS)
    failed = sum(result.entry(name).failures for name in PROVIDER_CALLS)
    assert n >= 300, f"too few provider calls for a ratio: {n}"
    ok, tol = within_binomial(failed, n, p)
    print(f"throttling: {failed}/{n} provider calls failed = {failed / n:.3f} (p={p}, ±{tol:.3f})")
    assert ok, f"failure ratio {failed / n:.3f} is not {p} ± {tol:.3f}"
    # Only the injected kind of failure, named the way the dashboards name it.
    for name in PROVIDER_CALLS:
        errors = result.errors_for(name)
        assert set(errors) <= {"HTTP 429 throttled"}, errors
    # Calls that never reach the provider are untouched.
    assert result.entry("models").failures == 0


def test_outage_fails_every_provider_call_while_health_passes(
    service: RunningProcess, faults: FaultsClient, tmp_path: Path
) -> None:
    faults.apply(get_scenario("provider-outage").faults)
    result = load(service, tmp_path)
    for name in PROVIDER_CALLS:
        entry = result.entry(name)
        print(f"outage: {name}: {entry.failures}/{entry.requests} failed")
        assert entry.requests > 0 and entry.failures == entry.requests, entry
        assert set(result.errors_for(name)) == {"HTTP 503 unavailable"}
    assert result.entry("models").failures == 0
    # The process is fine; the provider is not: liveness stays green.
    assert httpx.get(service.base_url + "/healthz", timeout=5).status_code == 200
    assert result.returncode != 0  # Locust itself reports the failed run


def test_recovery_restores_a_clean_run(
    service: RunningProcess, faults: FaultsClient, tmp_path: Path
) -> None:
    faults.apply(get_scenario("error-storm").faults)
    faults.apply(get_scenario("recovery").faults)
    assert faults.get() == get_scenario("recovery").faults.as_dict()
    result = run_locust(service.base_url, tmp_path, users=3, run_s=3)
    total = result.entry("Aggregated")
    assert total.requests >= 30 and total.failures == 0, result.failures
