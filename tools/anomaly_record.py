"""Record the anomaly detector's Prometheus answers from a real run, for tests/unit/aiops/anomaly.

The real service (simulated model, OTel Prometheus exporter) under a steady open-loop load
(a fixed arrival rate, so cost and token rates stay flat whatever the latency), scraped every
second by the real Prometheus from `make tools` running the project's recording rules
(prometheus/rules/genai.yml) every second. Phases, each injected through the service's real
/admin/faults API:

    warm-up (5-minute rates fill) ─▶ baseline (no fault) ─▶ latency (+800 ms on every model
    call) ─▶ errors (30% of calls fail, provider unavailable; latency fault cleared)

At the end of the latency phase and of the errors phase, each signal's query (exactly the
detector's, aiops.anomaly.signals) is run as a range query from the start of the baseline;
the raw JSON answers are saved with the phase times. Refresh (about 11 minutes):

    .venv/bin/python -m tools.anomaly_record tests/fixtures/aiops/prometheus/anomaly.json
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from aiops.anomaly.signals import SIGNALS
from tools.processes import ROOT, free_port, prometheus_exporter_env, run_prometheus, run_service

RATE_PER_S = 12.0
# The recording rules take 5-minute rates: until a series is 5 minutes old its rate is still
# ramping up. The warm-up lets them fill, so the baseline is a steady state, not a ramp.
WARMUP_S = 320
BASELINE_S = 150
LATENCY_S = 75
ERRORS_S = 75
STEP_S = 2
ADMIN_TOKEN = "anomaly-record"  # a throwaway token for a loopback-only process
JOB = "genai-lab/genai-service"


def _prometheus_config(metrics_port: int) -> str:
    rules = ROOT / "prometheus" / "rules" / "genai.yml"
    return (
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {rules}\n"
        f"scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{metrics_port}']\n"
    )


async def _traffic(base_url: str, stop: asyncio.Event) -> int:
    """Open-loop chat completions at RATE_PER_S: a request starts on schedule whether or not
    the ones before have finished. One prompt in four repeats (the cache answers it)."""
    sent = 0
    tasks: set[asyncio.Task[Any]] = set()

    async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        # A dropped keep-alive connection now and then is the client's, not the service's;
        # the service's own answers (5xx included) are what the metrics count.
        with contextlib.suppress(httpx.TransportError):
            await client.post("/v1/chat/completions", json=body)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        start = time.monotonic()
        while not stop.is_set():
            prompt = "what is observability?" if sent % 4 == 0 else f"question {sent}"
            body = {
                "model": "claude-haiku-4-5",
                "messages": [{"role": "user", "content": prompt}],
            }
            task = asyncio.create_task(post(client, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            await asyncio.sleep(max(0.0, start + sent / RATE_PER_S - time.monotonic()))
        await asyncio.gather(*tasks, return_exceptions=True)
    return sent


def _faults(base_url: str, body: dict[str, Any]) -> None:
    r = httpx.put(
        f"{base_url}/admin/faults",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    r.raise_for_status()


def _snapshot(prom_url: str, start: float, end: float) -> dict[str, Any]:
    out = {}
    for signal in SIGNALS:
        params: dict[str, str | float] = {
            "query": signal.query,
            "start": start,
            "end": end,
            "step": STEP_S,
        }
        r = httpx.get(f"{prom_url}/api/v1/query_range", params=params, timeout=30)
        out[signal.name] = r.json()
    return out


async def _run(service_url: str, prom_url: str) -> dict[str, Any]:
    stop = asyncio.Event()
    traffic = asyncio.create_task(_traffic(service_url, stop))
    phases = {"warmup": time.time()}
    await asyncio.sleep(WARMUP_S)
    phases["baseline"] = time.time()
    await asyncio.sleep(BASELINE_S)
    _faults(service_url, {"latency_ms": 800})
    phases["latency"] = time.time()
    await asyncio.sleep(LATENCY_S)
    await asyncio.sleep(2)  # the last scrape and evaluation land
    latency_end = time.time()
    snapshots = {"latency": _snapshot(prom_url, phases["baseline"], latency_end)}
    _faults(service_url, {"latency_ms": 0, "error_rate": 0.3, "error_type": "unavailable"})
    phases["errors"] = time.time()
    await asyncio.sleep(ERRORS_S)
    await asyncio.sleep(2)
    errors_end = time.time()
    snapshots["errors"] = _snapshot(prom_url, phases["baseline"], errors_end)
    stop.set()
    sent = await traffic
    return {
        "phases": phases,
        "snapshot_ends": {"latency": latency_end, "errors": errors_end},
        "requests_sent": sent,
        "snapshots": snapshots,
    }


def record(workdir: Path) -> dict[str, Any]:
    metrics_port = free_port()
    env = {
        **prometheus_exporter_env(metrics_port),
        "DEPLOYMENT_ENVIRONMENT": "anomaly-record",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "SIM_LATENCY_MS": "40",
        "SIM_TOKEN_MS": "0",
        "RATE_LIMITS_ENABLED": "false",
        "LOG_GENERATOR_ENABLED": "false",
        "SIMULATED_USERS_ENABLED": "false",
    }
    with (
        run_service(env) as service,
        run_prometheus(_prometheus_config(metrics_port), workdir / "prometheus") as prom,
    ):
        run = asyncio.run(_run(service.base_url, prom.base_url))
        version = httpx.get(f"{prom.base_url}/api/v1/status/buildinfo", timeout=10).json()
    return {
        "how": (
            "tools/anomaly_record.py: the real service under a steady open-loop load "
            f"({RATE_PER_S:g} chat completions/s), scraped every 1s by the real Prometheus with "
            "prometheus/rules/genai.yml evaluated every 1s; faults injected through /admin/faults "
            "(latency +800 ms, then 30% unavailable); the detector's queries (aiops.anomaly."
            f"signals) answered as query_range with step {STEP_S}s, saved verbatim."
        ),
        "prometheus_version": version["data"]["version"],
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "step_s": STEP_S,
        **run,
    }


def main(target: str) -> None:
    with tempfile.TemporaryDirectory(prefix="anomaly-record-") as tmp:
        data = record(Path(tmp))
    Path(target).write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {target} ({data['requests_sent']} requests)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main(sys.argv[1])
