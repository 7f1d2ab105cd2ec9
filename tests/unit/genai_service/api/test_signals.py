"""The service's own spans and counters, read back from the real OpenTelemetry SDK.

Runs in a child interpreter: the SDK's global providers can be set once per process, and this
test must own them: it sets them before the app's telemetry set-up runs, which then leaves
them alone, and no exporter is configured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tools.processes import ROOT

pytestmark = pytest.mark.unit

SCRIPT = textwrap.dedent(
    """
    import json
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(tp)

    from fastapi.testclient import TestClient
    from genai_service.main import create_app

    c = TestClient(create_app(), raise_server_exceptions=False)
    chat = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}
    c.post("/v1/chat/completions", json=chat, headers={"X-Tenant-ID": "acme"})
    c.post("/v1/chat/completions", json=chat, headers={"X-Tenant-ID": "acme"})
    c.post("/v1/chat/completions", json={**chat, "seed": 3}, headers={"X-Tenant-ID": "zzz-new"})
    c.post("/v1/chat/completions", content=b"{oops", headers={"content-type": "application/json"})
    c.post("/v1/chat/completions", json={"model": "nope", "messages": chat["messages"]})
    c.get("/crash")

    points = []
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                for p in m.data.data_points:
                    value = getattr(p, "value", None)
                    if value is None:
                        value = p.count  # histograms: how many were recorded
                    points.append({"name": m.name, "attrs": dict(p.attributes), "value": value})
    names = [s.name for s in spans.get_finished_spans()]
    print("RESULT" + json.dumps({"points": points, "spans": names}))
    """
)


@pytest.fixture(scope="module")
def signals() -> dict:
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "SIM_LATENCY_MS": "0",
        "KNOWN_TENANTS": "acme,globex",
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, f"no result:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return json.loads(line[len("RESULT") :])


def value(signals: dict, name: str, **attrs: str) -> float:
    return sum(
        p["value"]
        for p in signals["points"]
        if p["name"] == name
        and all(p["attrs"].get(k.replace("_", ".")) == v for k, v in attrs.items())
    )


def test_cache_requests_by_result(signals: dict) -> None:
    assert value(signals, "genai_lab.cache.requests", cache_result="miss") == 2
    assert value(signals, "genai_lab.cache.requests", cache_result="hit") == 1


def test_prompts_by_bounded_tenant(signals: dict) -> None:
    assert value(signals, "genai_lab.prompts", tenant_id="acme") == 2
    assert value(signals, "genai_lab.prompts", tenant_id="other") == 1
    tenants = {
        p["attrs"]["tenant.id"] for p in signals["points"] if p["name"] == "genai_lab.prompts"
    }
    assert "zzz-new" not in tenants


def test_rejections_by_route_and_reason(signals: dict) -> None:
    route = "/v1/chat/completions"
    points = [p for p in signals["points"] if p["name"] == "genai_lab.requests.rejected"]
    assert {p["attrs"]["http.route"] for p in points} == {route}
    assert {p["attrs"]["reject.reason"] for p in points} == {"invalid_json", "unknown_model"}


def test_unhandled_exception_counted(signals: dict) -> None:
    points = [p for p in signals["points"] if p["name"] == "genai_lab.exceptions.unhandled"]
    assert points == [
        {
            "name": "genai_lab.exceptions.unhandled",
            "attrs": {"http.route": "/crash", "exception.type": "ZeroDivisionError"},
            "value": 1,
        }
    ]


def test_orchestrator_stage_spans(signals: dict) -> None:
    names = signals["spans"]
    assert names.count("prompt.redact") == 3
    assert names.count("cache.lookup") == 3
    assert names.count("cache.write") == 2  # the hit wrote nothing
