"""Killing the service makes ServiceDown fire within 90 s (issue 18), natively.

Real processes on loopback, no Docker:

    blackbox exporter ──GET /readyz──▶ genai-service (uvicorn)
          ▲ /probe
    Prometheus (the project's availability rules, blackbox job as in prometheus/prometheus.yml)

The probe module is the project's (blackbox/blackbox.yml) and the rules are the project's
(prometheus/rules/availability.yml, `for: 1m` unchanged); only scrape and evaluation run every
2 s instead of 10 s, as the other native e2e tests do. The service is killed with SIGKILL, as
the OOM killer or a crash would, so it answers nothing afterwards.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tools.processes import (
    ROOT,
    RunningProcess,
    run_blackbox_exporter,
    run_prometheus,
    run_service,
)

pytestmark = pytest.mark.e2e

BLACKBOX_CONFIG = ROOT / "blackbox" / "blackbox.yml"
RULES = ROOT / "prometheus" / "rules" / "availability.yml"
BUDGET_S = 90  # the bar: from the kill to a firing ServiceDown


def prometheus_config(blackbox_port: int, service_url: str) -> str:
    # The blackbox job of prometheus/prometheus.yml with loopback addresses.
    return f"""\
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 2s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [http_health]
    static_configs:
      - targets: ["{service_url}/readyz"]
        labels: {{service_name: genai-service, probe_tier: service}}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{blackbox_port}
"""


def query(prom: RunningProcess, expr: str) -> list[dict]:
    body = httpx.get(f"{prom.base_url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def wait_for(prom: RunningProcess, expr: str, timeout_s: float) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    result = query(prom, expr)
    while not result and time.monotonic() < deadline:
        time.sleep(1)
        result = query(prom, expr)
    return result


def test_killing_the_service_fires_service_down_within_90_s(tmp_path: Path) -> None:
    env = {"LOG_GENERATOR_ENABLED": "false", "SIMULATED_USERS_ENABLED": "false"}
    with (
        run_service(env) as service,
        run_blackbox_exporter(BLACKBOX_CONFIG, tmp_path / "blackbox") as blackbox,
        run_prometheus(
            prometheus_config(blackbox.port, service.base_url), tmp_path / "prometheus"
        ) as prom,
    ):
        # The probe sees the live service first, so the alert below is about the kill.
        up = wait_for(prom, 'probe_success{service_name="genai-service"} == 1', 30)
        assert up, "the probe never succeeded against the live service"
        assert up[0]["metric"]["instance"] == f"{service.base_url}/readyz"
        assert not query(prom, 'ALERTS{alertname="ServiceDown"}')

        os.killpg(service.popen.pid, signal.SIGKILL)
        service.popen.wait(timeout=10)
        killed_at = time.monotonic()

        firing = wait_for(
            prom, 'ALERTS{alertname="ServiceDown", alertstate="firing"}', BUDGET_S + 5
        )
        elapsed = time.monotonic() - killed_at
        assert firing, f"ServiceDown did not fire within {BUDGET_S + 5} s of the kill"
        assert elapsed <= BUDGET_S, f"ServiceDown fired {elapsed:.0f} s after the kill"
        labels = firing[0]["metric"]
        assert labels["service_name"] == "genai-service"
        assert labels["severity"] == "critical"
        assert labels["category"] == "availability"
        # The probe itself says why: no answer at all.
        assert query(prom, 'probe_success{service_name="genai-service"} == 0')
        print(f"ServiceDown fired {elapsed:.1f} s after SIGKILL")
