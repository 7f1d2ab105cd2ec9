"""Money and tenants under real concurrency: 50 clients at once against the service under
uvicorn, as the stack runs it (keys required, limits and budgets on).

Spend is read where an operator reads it: the service's own metrics, scraped natively.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from genai_service.guardrails.auth import digest
from tools.processes import RunningProcess, free_port, prometheus_exporter_env, run_service

pytestmark = pytest.mark.e2e

CLIENTS = 50
OPUS = "claude-opus-4-5"
ACME_KEY = "sk-e2e-acme-6b1f0c9d2e7a4f38"
PLATFORM_KEY = "sk-e2e-platform-1a7c3e9f5b2d8046"
CHAT = "/v1/chat/completions"
# The largest opus call the simulator makes: a short prompt and at most 160 output tokens.
MAX_OPUS_CALL_USD = (40 * 5 + 160 * 25) / 1_000_000
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def metric_sum(port: int, name: str, **labels: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        if all(f'{k}="{v}"' in (m.group(2) or "") for k, v in labels.items()):
            total += float(m.group(3))
    return total


@pytest.fixture
def service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[RunningProcess, int]]:
    keys = tmp_path / "keys.yaml"
    keys.write_text(
        "keys:\n"
        f"  - {{sha256: {digest(ACME_KEY).hex()}, tenant: acme, tier: free}}\n"
        f"  - {{sha256: {digest(PLATFORM_KEY).hex()}, tenant: gateway, tier: enterprise,"
        " delegate: true}\n"
    )
    metrics_port = free_port()
    env = {
        "REQUIRE_API_KEY": "true",
        "API_KEYS_FILE": str(keys),
        **prometheus_exporter_env(metrics_port),
        "LOG_GENERATOR_ENABLED": "false",
        "SIMULATED_USERS_ENABLED": "false",
        "CACHE_ENABLED": "false",
        # acme is on the free tier: its request rate is lifted unless a test sets one, so its
        # budget is what stops it.
        "RATE_LIMIT_FREE_RPM": "100000",
        **getattr(request, "param", {}),
    }
    with run_service(env) as proc:
        yield proc, metrics_port


def service_with(**env: str) -> pytest.MarkDecorator:
    """The service fixture started with these variables on top of its own."""
    return pytest.mark.parametrize("service", [env], indirect=True)


def opus_chat(i: int, **extra: object) -> dict[str, object]:
    prompt = f"Client {i}: draft a reply about invoice {i * 7919} and a delayed shipment."
    return {"model": OPUS, "messages": [{"role": "user", "content": prompt}], **extra}


@service_with(
    BUDGET_FREE_DAILY_USD="0.02",
    RATE_LIMIT_FREE_TPM="100000000",
    SIM_LATENCY_MS="300",
    SIM_TOKEN_MS="1",
)
def test_concurrent_requests_overshoot_the_budget_by_at_most_one_call(service) -> None:
    proc, metrics_port = service
    budget = 0.02

    async def client(c: httpx.AsyncClient, i: int) -> list[int]:
        statuses = []
        for attempt in range(40):
            r = await c.post(CHAT, json=opus_chat(i * 100 + attempt))
            statuses.append(r.status_code)
            if r.status_code == 429:
                if r.headers.get("x-should-retry") == "false":
                    break  # the budget is spent for the day
                await asyncio.sleep(float(r.headers.get("retry-after", "1")) / 4)
        return statuses

    async def run() -> list[list[int]]:
        headers = {"Authorization": f"Bearer {ACME_KEY}"}
        limits = httpx.Limits(max_connections=CLIENTS)
        async with httpx.AsyncClient(
            base_url=proc.base_url, headers=headers, timeout=60, limits=limits
        ) as c:
            return await asyncio.gather(*(client(c, i) for i in range(CLIENTS)))

    results = asyncio.run(run())
    served = sum(s.count(200) for s in results)
    assert served >= 3, results
    assert all(s[-1] == 429 for s in results), results  # everyone ran into the budget
    spent = metric_sum(metrics_port, "genai_lab_cost_usd_total", tenant_id="acme")
    print(f"budget ${budget}, spent ${spent:.4f} ({spent / budget:.2f}x) in {served} calls")
    # Reservations see each other: the overshoot is bounded by one call, not by concurrency.
    assert spent <= budget + MAX_OPUS_CALL_USD, f"spent {spent:.4f} of {budget}"


@service_with(SIM_LATENCY_MS="10", SIM_TOKEN_MS="40", SIM_MIN_OUTPUT_TOKENS="120")
def test_streams_the_client_closes_are_charged_and_counted(service) -> None:
    proc, metrics_port = service
    closed_label = {"error_type": "client_closed", "gen_ai_request_model": OPUS}
    before = metric_sum(
        metrics_port, "gen_ai_client_operation_duration_seconds_count", **closed_label
    )

    async def client(c: httpx.AsyncClient, i: int) -> int:
        body = opus_chat(i, stream=True, max_tokens=160)
        async with c.stream("POST", CHAT, json=body) as r:
            assert r.status_code == 200
            seen = 0
            async for line in r.aiter_lines():
                if '"content":"' in line and '"content":""' not in line:
                    seen += 1
                if seen >= 3:
                    break  # leave: closing the response closes the connection
            return seen

    async def run() -> list[int]:
        headers = {"Authorization": f"Bearer {ACME_KEY}"}
        async with httpx.AsyncClient(
            base_url=proc.base_url,
            headers=headers,
            timeout=60,
            limits=httpx.Limits(max_connections=CLIENTS),
        ) as c:
            return await asyncio.gather(*(client(c, i) for i in range(CLIENTS)))

    env_budget = 1.0  # the free tier's default daily budget
    assert all(n >= 3 for n in asyncio.run(run()))
    deadline = time.monotonic() + 20
    closed = 0.0
    while time.monotonic() < deadline:
        closed = metric_sum(
            metrics_port, "gen_ai_client_operation_duration_seconds_count", **closed_label
        )
        if closed - before >= CLIENTS:
            break
        time.sleep(0.25)
    assert closed - before == CLIENTS
    spent = metric_sum(metrics_port, "genai_lab_cost_usd_total", tenant_id="acme")
    output = metric_sum(
        metrics_port,
        "gen_ai_client_token_usage_sum",
        gen_ai_token_type="output",
        gen_ai_request_model=OPUS,
    )
    print(f"{CLIENTS} closed streams: ${spent:.5f}, {output:.0f} output tokens")
    # Each stream had produced at least three chunks (and its prompt was read) when it closed.
    assert output >= 3 * CLIENTS
    # At least the prompt and three chunks each; the counter is a float sum, so exactly that
    # floor may come out a rounding error below it.
    floor = CLIENTS * (20 * 5 + 3 * 25) / 1_000_000
    assert spent >= floor * (1 - 1e-9)
    remaining = metric_sum(metrics_port, "genai_lab_tenant_budget_remaining", tenant_id="acme")
    assert remaining == pytest.approx(env_budget - spent, abs=1e-6)
    prompts = metric_sum(metrics_port, "genai_lab_prompts_total", tenant_id="acme")
    assert prompts == CLIENTS


@service_with(RATE_LIMIT_FREE_RPM="20", SIM_LATENCY_MS="5", SIM_TOKEN_MS="0")
def test_a_tier_change_never_refills_a_tenants_buckets(service) -> None:
    """acme's own free key and a delegating enterprise key naming acme, mixed as Locust mixes
    them: acme gets its free tier's 20 requests a minute in all, not a fresh bucket per switch."""
    proc, _ = service
    acme = {"Authorization": f"Bearer {ACME_KEY}"}
    platform = {"Authorization": f"Bearer {PLATFORM_KEY}", "X-Tenant-ID": "acme"}

    async def client(c: httpx.AsyncClient, i: int) -> list[int]:
        statuses = []
        for k in range(4):
            headers = acme if (i + k) % 2 else platform
            r = await c.post(CHAT, json=opus_chat(i * 10 + k, max_tokens=16), headers=headers)
            statuses.append(r.status_code)
        return statuses

    async def run() -> list[list[int]]:
        async with httpx.AsyncClient(
            base_url=proc.base_url, timeout=60, limits=httpx.Limits(max_connections=CLIENTS)
        ) as c:
            return await asyncio.gather(*(client(c, i) for i in range(CLIENTS)))

    started = time.monotonic()
    results = asyncio.run(run())
    elapsed = time.monotonic() - started
    statuses = [s for r in results for s in r]
    served = statuses.count(200)
    print(f"acme served {served} of {len(statuses)} in {elapsed:.1f}s (limit 20/min)")
    assert set(statuses) <= {200, 429}
    # 20 in the bucket, plus what refilled meanwhile (20 a minute), plus rounding.
    assert served <= 20 + int(elapsed * 20 / 60) + 1
