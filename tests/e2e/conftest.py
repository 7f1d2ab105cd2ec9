"""The native alerting pipeline, as one session fixture other e2e modules can share.

Real processes on loopback, no Docker:

    Locust ──HTTP──▶ genai-service ◀──scrape 1s── Prometheus (project rules, eval 1s)
                     (OTel Prometheus exporter)        │ alerts
                                                       ▼
                              aiops ◀──webhook── Alertmanager (project routes; only the
                      (POST /alerts, GET /incidents)  webhook host:port rewritten)

Debian's Prometheus has no OTLP receiver, so the service exports its metrics for scraping
(OTEL_METRICS_EXPORTER=prometheus). The service puts service_name, service_namespace and
deployment_environment_name on every series itself, as the collector's
resource_to_telemetry_conversion does (catalogue.yaml), and the scrape job is named like the
collector's job label (service.namespace/service.name), so series look as they do in the stack.

`alerting_pipeline` runs the traffic once: a short Locust run, then a burst of /crash calls.
Tests read `pipeline.burst_at` to time the alert; an AI-ops test can use `pipeline.aiops`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.alerting import write_config
from tests.support.locust_headless import LocustRun, run_locust
from tools.processes import (
    ROOT,
    RunningProcess,
    free_port,
    prometheus_exporter_env,
    run_alertmanager,
    run_prometheus,
    run_service,
)

RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
SERVICE_JOB = "genai-lab/genai-service"  # what the collector writes as job
ENVIRONMENT = "e2e"
CRASH_BURST = 40  # CrashStorm fires over 20 unhandled exceptions in 2 minutes


def prometheus_config(
    metrics_port: int, prometheus_port: int | None = None, alertmanager_port: int | None = None
) -> str:
    """The e2e Prometheus: the project's rule files, the service's scrape job, and once their
    ports are known Prometheus itself and Alertmanager (targets of the pipeline dashboard)."""
    rules = "\n".join(f"  - {p}" for p in RULE_FILES)
    jobs = [(SERVICE_JOB, metrics_port)]
    if prometheus_port:
        jobs.append(("prometheus", prometheus_port))
    alerting = ""
    if alertmanager_port:
        jobs.append(("alertmanager", alertmanager_port))
        alerting = (
            "alerting:\n  alertmanagers:\n    - static_configs:\n"
            f"        - targets: ['127.0.0.1:{alertmanager_port}']\n"
        )
    scrape = "".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        for job, port in jobs
    )
    # 1 s scrape and evaluation instead of the lab's 10 s keep the run short; the rules are
    # the project's, unchanged.
    return (
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n{rules}\n{alerting}scrape_configs:\n{scrape}"
    )


@dataclass
class Pipeline:
    service: RunningProcess
    prometheus: RunningProcess
    alertmanager: RunningProcess
    aiops: RunningProcess
    locust: LocustRun
    burst_at: float  # time.monotonic() when the /crash burst ended
    started_at: float
    timings: dict[str, float] = field(default_factory=dict)

    def query(self, expr: str) -> list[dict[str, Any]]:
        r = httpx.get(
            f"{self.prometheus.base_url}/api/v1/query", params={"query": expr}, timeout=10
        )
        body = r.json()
        assert body["status"] == "success", f"{expr}: {body}"
        return body["data"]["result"]

    def query_range(self, expr: str, seconds: float, step_s: float = 5) -> list[dict[str, Any]]:
        """Series of expr over the last `seconds` (how a dashboard panel sees it)."""
        end = time.time()
        r = httpx.get(
            f"{self.prometheus.base_url}/api/v1/query_range",
            params={"query": expr, "start": end - seconds, "end": end, "step": step_s},
            timeout=20,
        )
        body = r.json()
        assert body["status"] == "success", f"{expr}: {body}"
        return body["data"]["result"]

    def parse(self, expr: str) -> tuple[Any, str | None]:
        r = httpx.post(
            f"{self.prometheus.base_url}/api/v1/parse_query", data={"query": expr}, timeout=10
        )
        body = r.json()
        return (body["data"], None) if body["status"] == "success" else (None, body["error"])


def _reload(prom: RunningProcess, workdir: Path, config: str) -> None:
    (workdir / "prometheus.yml").write_text(config)
    r = httpx.post(f"{prom.base_url}/-/reload", timeout=10)
    assert r.status_code == 200, r.text


@pytest.fixture(scope="session")
def alerting_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    from tests.support.aiops_service import WEBHOOK_TOKEN, closed_url, run_aiops

    tmp = tmp_path_factory.mktemp("alerting-pipeline")
    started = time.monotonic()
    metrics_port = free_port()
    service_env = {
        **prometheus_exporter_env(metrics_port),
        "DEPLOYMENT_ENVIRONMENT": ENVIRONMENT,
        # Fast simulated model so a short run makes plenty of requests.
        "SIM_LATENCY_MS": "5",
        "SIM_TOKEN_MS": "0",
        "RATE_LIMITS_ENABLED": "false",
        "LOG_GENERATOR_ENABLED": "false",
    }
    prom_dir = tmp / "prometheus"
    with contextlib.ExitStack() as stack:
        service = stack.enter_context(run_service(service_env))
        prom = stack.enter_context(run_prometheus(prometheus_config(metrics_port), prom_dir))
        _reload(prom, prom_dir, prometheus_config(metrics_port, prom.port))
        aiops = stack.enter_context(
            run_aiops(
                tmp / "incidents",
                PROMETHEUS_URL=prom.base_url,
                LOKI_URL=closed_url(),
                TEMPO_URL=closed_url(),
            )
        )
        # The project's alertmanager.yml with only the webhook host:port made the aiops one.
        am_config = write_config(aiops.base_url, tmp / "alertmanager", WEBHOOK_TOKEN)
        am = stack.enter_context(run_alertmanager(am_config, tmp / "alertmanager"))
        _reload(prom, prom_dir, prometheus_config(metrics_port, prom.port, am.port))
        ready = time.monotonic() - started
        timings = {"processes_ready_s": ready}

        locust = run_locust(service.base_url, tmp / "locust", users=4, run_s=20, timeout_s=90)
        timings["locust_s"] = time.monotonic() - started - ready
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            codes = [client.get("/crash").status_code for _ in range(CRASH_BURST)]
        assert codes == [500] * CRASH_BURST, codes
        burst_at = time.monotonic()
        yield Pipeline(service, prom, am, aiops, locust, burst_at, started, timings)
