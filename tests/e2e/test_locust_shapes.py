"""Each load shape, run for a few seconds by real Locust against the real service.

Shapes are compressed with LAB_SHAPE_TIME_SCALE so a whole cycle fits in ~9 s; Locust's stats
history (one row a second) shows the user count the shape produced. With no fault injected
every request must succeed, so the locustfile's requests are valid and authenticated
(the service requires the API key here, as in the compose stack).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.locust_headless import LocustRun, run_locust
from tools.processes import RunningProcess, run_service

pytestmark = pytest.mark.e2e

API_KEY = secrets.token_urlsafe(16)
SERVICE_ENV = {
    "ADMIN_TOKEN": secrets.token_urlsafe(16),
    "REQUIRE_API_KEY": "true",
    "LAB_API_KEY": API_KEY,
    # The guardrails' per-tenant limits would answer 429s of their own at test rates.
    "RATE_LIMITS_ENABLED": "false",
    # A quick simulated model: the tests are about traffic and shapes, not model latency.
    "SIM_LATENCY_MS": "20",
    "SIM_TOKEN_MS": "0.5",
}
BASE = 3
RUN_S = 9.0


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    with run_service(SERVICE_ENV) as proc:
        yield proc


def run(
    service: RunningProcess, tmp_path: Path, shape: str, scale: float, run_s: float = RUN_S
) -> LocustRun:
    result = run_locust(
        service.base_url,
        tmp_path,
        users=BASE,
        run_s=run_s,
        shape=shape,
        time_scale=scale,
        env={"LAB_API_KEY": API_KEY},
    )
    assert result.returncode == 0, f"Locust reported failures:\n{result.output[-3000:]}"
    assert len(result.user_counts) >= run_s - 2, result.user_counts
    total = result.entry("Aggregated")
    print(
        f"{shape}: users each second {result.user_counts}; {total.requests} requests, "
        f"{total.failures} failed"
    )
    # Three users making a request every ~0.1-0.2 s: about 15 a second or more. Ten a second
    # leaves room for a slow shared CI machine and still fails if users stall or never start.
    assert total.requests >= 10 * run_s, total
    assert total.failures == 0, result.failures
    for name in ("chat", "chat (stream)", "chat (repeated prompt)", "embeddings"):
        assert result.entry(name).requests > 0, name
    # Time to first token is reported, and comes before the whole stream.
    ttft, stream = result.entry("chat (stream) time to first token"), result.entry("chat (stream)")
    assert ttft.type == "TTFT"
    assert 0 < ttft.requests <= stream.requests
    assert ttft.median_ms <= stream.median_ms
    return result


def test_steady_holds_the_base(service: RunningProcess, tmp_path: Path) -> None:
    counts = run(service, tmp_path, "steady", 1.0, run_s=4).user_counts
    assert max(counts) == BASE
    assert counts[1:] == [BASE] * len(counts[1:]), counts


def test_step_climbs_in_stages(service: RunningProcess, tmp_path: Path) -> None:
    # STEP_S=120 s x 0.02 = 2.4 s a stage: levels 3, 6, 9 in eight seconds.
    counts = run(service, tmp_path, "step", 0.02, run_s=8).user_counts
    assert counts == sorted(counts), counts
    assert {BASE, 2 * BASE, 3 * BASE} <= set(counts), counts


def test_spike_jumps_and_falls_back(service: RunningProcess, tmp_path: Path) -> None:
    # 180 s calm + 60 s spike, x 0.03: calm until 5.4 s, five times the users until 7.2 s.
    counts = run(service, tmp_path, "spike", 0.03).user_counts
    peak = counts.index(max(counts))
    assert max(counts) == 5 * BASE, counts
    assert BASE in counts[:peak], counts
    assert counts[-1] == BASE, counts


def test_wave_rises_from_night_towards_midday(service: RunningProcess, tmp_path: Path) -> None:
    # A 20 min "day" x 0.015 = 18 s: the first seven seconds rise from night (0.2x) to midday.
    counts = run(service, tmp_path, "wave", 0.015, run_s=7).user_counts
    assert counts == sorted(counts), counts
    assert counts[0] <= 1, counts
    assert max(counts) >= BASE + 1, counts
