"""Record real Prometheus query_range responses for the aiops fixtures.

The service's metrics are produced with the real OpenTelemetry SDK (instruments, units and
bucket boundaries from the catalogue) and exposed through the real OTel Prometheus exporter;
the real Prometheus from `make tools` scrapes them every second. Three incidents are played
one after the other on a quiet baseline: unhandled RuntimeErrors on /crash, slow chat
completions on one model, then a cost spike on an expensive model. The queries aiops makes
are run for each and the raw JSON answers saved. Refresh with:

    .venv/bin/python -m tools.prom_record tests/fixtures/aiops/prometheus/recorded.json
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import start_http_server

from aiops.gather import prometheus as prom
from tools.processes import free_port, run_prometheus

CHEAP = "anthropic.claude-3-5-haiku-20241022-v1:0"
PRICEY = "anthropic.claude-opus-4-1-20250805-v1:0"
CHAT = "/v1/chat/completions"

BASELINE_S = 40
INCIDENT_S = 25
ALERT_EXPRS = {
    "crash": "sum by (http_route, exception_type) "
    "(increase(genai_lab_exceptions_unhandled_total[1m])) > 0",
    "latency": "histogram_quantile(0.95, sum by (le, http_route) "
    "(rate(http_server_request_duration_seconds_bucket[1m]))) > 2",
    "cost": "sum(rate(genai_lab_cost_usd_total[5m])) * 3600 > 5",
}


def _meter_provider() -> tuple[MeterProvider, Any]:
    from lab_telemetry.instruments import catalogue
    from lab_telemetry.setup import metric_views

    views = metric_views()
    reader = PrometheusMetricReader()
    resource = Resource.create({"service.name": "genai-service", "service.namespace": "genai-lab"})
    provider = MeterProvider(resource=resource, metric_readers=[reader], views=views)
    meter = provider.get_meter("genai_service")
    units = {name: spec.unit for name, spec in catalogue().items()}
    inst = {
        "http": meter.create_histogram(
            "http.server.request.duration", unit=units["http.server.request.duration"]
        ),
        "op": meter.create_histogram(
            "gen_ai.client.operation.duration", unit=units["gen_ai.client.operation.duration"]
        ),
        "cost": meter.create_counter("genai_lab.cost.usd", unit=units["genai_lab.cost.usd"]),
        "exc": meter.create_counter(
            "genai_lab.exceptions.unhandled", unit=units["genai_lab.exceptions.unhandled"]
        ),
    }
    return provider, inst


def _traffic(inst: dict[str, Any], phase: str) -> None:
    """One tick (0.1 s) of the service's traffic in the given phase."""
    chat_latency = 3.2 if phase == "latency" else 0.2
    model = PRICEY if phase == "cost" else CHEAP
    for _ in range(5):
        inst["http"].record(
            chat_latency,
            {"http.request.method": "POST", "http.route": CHAT, "http.response.status_code": 200},
        )
        inst["op"].record(
            chat_latency - 0.05,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "aws.bedrock",
                "gen_ai.request.model": model,
            },
        )
        inst["cost"].add(
            0.004 if phase == "cost" else 0.00002,
            {"gen_ai.request.model": model, "gen_ai.provider.name": "aws.bedrock"},
        )
    inst["http"].record(
        0.03,
        {
            "http.request.method": "POST",
            "http.route": "/v1/embeddings",
            "http.response.status_code": 200,
        },
    )
    if phase == "crash":
        inst["http"].record(
            0.004,
            {
                "http.request.method": "GET",
                "http.route": "/crash",
                "http.response.status_code": 500,
                "error.type": "RuntimeError",
            },
        )
        inst["exc"].add(1, {"http.route": "/crash", "exception.type": "RuntimeError"})


def _record_scenario(
    scenario: str, inst: dict[str, Any], exporter_port: int, workdir: Path
) -> dict[str, Any]:
    """A fresh Prometheus sees a quiet baseline, then the incident; the answers are saved."""
    config = (
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
        "  - job_name: genai-service\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    with run_prometheus(config, workdir / scenario) as p:
        window_start = datetime.now(UTC)
        for phase, seconds in (("baseline", BASELINE_S), (scenario, INCIDENT_S)):
            if phase == scenario:
                incident_start = datetime.now(UTC)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                _traffic(inst, phase)
                time.sleep(0.1)
        window_end = datetime.now(UTC)
        time.sleep(2)  # let the last scrape land
        # Alertmanager's startsAt is when the rule first matched: a few seconds in.
        alert_start = incident_start + timedelta(seconds=5)
        queries = {"alert_expr": prom.split_threshold(ALERT_EXPRS[scenario])[0]}
        queries.update(prom.related_queries({}))
        responses = {}
        for name, q in queries.items():
            r = httpx.get(
                f"{p.base_url}/api/v1/query_range",
                params=prom.range_params(q, window_start, window_end),
                timeout=10,
            )
            responses[name] = {"query": q, "body": r.json()}
        build = httpx.get(f"{p.base_url}/api/v1/status/buildinfo", timeout=5).json()
    return {
        "prometheus_version": build["data"]["version"],
        "alert_expr": ALERT_EXPRS[scenario],
        "window_start": window_start.isoformat(),
        "alert_start": alert_start.isoformat(),
        "window_end": window_end.isoformat(),
        "responses": responses,
    }


def record(workdir: Path) -> dict[str, Any]:
    provider, inst = _meter_provider()
    exporter_port = free_port()
    server, _thread = start_http_server(exporter_port, addr="127.0.0.1")
    out: dict[str, Any] = {"scenarios": {}}
    try:
        for scenario in ALERT_EXPRS:
            out["scenarios"][scenario] = _record_scenario(scenario, inst, exporter_port, workdir)
    finally:
        server.shutdown()
        provider.shutdown()
    out["prometheus_version"] = out["scenarios"]["crash"]["prometheus_version"]
    out["recorded_at"] = datetime.now(UTC).isoformat()
    out["how"] = (
        "tools/prom_record.py: OTel SDK + OTel Prometheus exporter scraped every 1s "
        "by real Prometheus (a fresh one per scenario); query_range answers saved verbatim"
    )
    return out


def main(target: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = record(Path(tmp))
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path} (prometheus {data['prometheus_version']})")


if __name__ == "__main__":
    main(sys.argv[1])
