"""Capture real Alertmanager webhook deliveries (v4 payloads) for the aiops fixtures.

Runs the real Alertmanager from `make tools` with a webhook receiver pointing at a recording
server, posts alerts to its /api/v2/alerts as Prometheus would, then ends them, and keeps each
delivered body. Used by the live recapture test and, to refresh the committed fixtures, as:

    .venv/bin/python -m tools.am_capture tests/fixtures/aiops/alertmanager
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tools.processes import run_alertmanager
from tools.recorder import Recorder, recording_server

PROM = "http://prometheus:9090"

#: Alerts as the project's rules would raise them: labels from the rule's `by` clause plus
#: severity/category, annotations per the shared contract.
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "crash": [
        {
            "labels": {
                "alertname": "UnhandledExceptions",
                "severity": "critical",
                "category": "availability",
                "http_route": "/crash",
                "exception_type": "RuntimeError",
                "service_name": "genai-service",
            },
            "annotations": {
                "summary": "Unhandled exceptions on /crash",
                "description": "RuntimeError raised 12 times in 1m on /crash",
                "runbook_url": "docs/runbooks/UnhandledExceptions.md",
                "dashboard": "genai-service-overview",
            },
            "expr": "sum by (http_route, exception_type) "
            "(increase(genai_lab_exceptions_unhandled_total[1m])) > 0",
        }
    ],
    # As prometheus/rules/genai.yml raises CrashStorm: no route label, the route must be found.
    "crashstorm": [
        {
            "labels": {
                "alertname": "CrashStorm",
                "severity": "critical",
                "category": "availability",
                "service_name": "genai-service",
                "service_namespace": "genai-lab",
                "deployment_environment_name": "lab",
            },
            "annotations": {
                "summary": "Crash storm on genai-service",
                "description": "41 requests ended in an unhandled exception (HTTP 500) in the "
                "last 2 minutes in lab.",
                "runbook_url": "docs/runbooks/CrashStorm.md",
                "dashboard": "genai-service-overview",
            },
            "expr": "sum by (deployment_environment_name, service_namespace, service_name) "
            "(increase(genai_lab_exceptions_unhandled_total[2m])) > 20",
        }
    ],
    "latency": [
        {
            "labels": {
                "alertname": "HighLatencyP95",
                "severity": "warning",
                "category": "latency",
                "http_route": route,
            },
            "annotations": {
                "summary": f"p95 latency above 2s on {route}",
                "description": "p95 of http.server.request.duration is above 2s for 5m",
                "runbook_url": "docs/runbooks/HighLatencyP95.md",
                "dashboard": "genai-service-overview",
            },
            "expr": "histogram_quantile(0.95, sum by (le, http_route) "
            "(rate(http_server_request_duration_seconds_bucket[5m]))) > 2",
        }
        for route in ("/v1/chat/completions", "/v1/embeddings")
    ],
}


def generator_url(expr: str) -> str:
    return f"{PROM}/graph?g0.expr={quote(expr, safe='')}&g0.tab=1"


AM_CONFIG = """\
route:
  receiver: aiops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: aiops
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


def post_alerts(am_url: str, alerts: list[dict[str, Any]], *, end: bool) -> None:
    now = datetime.now(UTC)
    body = []
    for a in alerts:
        item: dict[str, Any] = {
            "labels": a["labels"],
            "annotations": a["annotations"],
            "startsAt": a["startsAt"],
            "generatorURL": generator_url(a["expr"]),
        }
        if end:
            item["endsAt"] = now.isoformat().replace("+00:00", "Z")
        body.append(item)
    r = httpx.post(f"{am_url}/api/v2/alerts", json=body, timeout=5)
    r.raise_for_status()


def _delivery(rec: Recorder, alertname: str, status: str, n: int, timeout_s: float = 30) -> Any:
    """The first delivery of this group with all n alerts in the given status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with rec.lock:
            bodies = [r.json() for r in rec.requests]
        for body in bodies:
            alerts = body["alerts"]
            if (
                body["groupLabels"].get("alertname") == alertname
                and body["status"] == status
                and len(alerts) == n
                and all(a["status"] == status for a in alerts)
            ):
                return body
        time.sleep(0.1)
    raise TimeoutError(f"no {status} delivery of {alertname} with {n} alerts")


def capture(workdir: Path) -> dict[str, dict[str, Any]]:
    """Returns {"<scenario>-firing": payload, "<scenario>-resolved": payload, "_meta": ...}."""
    captured: dict[str, dict[str, Any]] = {}
    with recording_server() as rec:
        config = workdir / "alertmanager.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        config.write_text(AM_CONFIG.format(url=f"{rec.base_url}/alerts"))
        with run_alertmanager(config, workdir / "am") as am:
            for name, alerts in SCENARIOS.items():
                alertname = alerts[0]["labels"]["alertname"]
                start = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
                for a in alerts:
                    a["startsAt"] = start.replace("+00:00", "Z")
                post_alerts(am.base_url, alerts, end=False)
                captured[f"{name}-firing"] = _delivery(rec, alertname, "firing", len(alerts))
                post_alerts(am.base_url, alerts, end=True)
                captured[f"{name}-resolved"] = _delivery(rec, alertname, "resolved", len(alerts))
            captured["_meta"] = capture_meta(
                am.base_url,
                "tools/am_capture.py: real Alertmanager, alerts posted to "
                "/api/v2/alerts, webhook deliveries recorded as received",
            )
    return captured


def capture_meta(alertmanager_url: str, how: str) -> dict[str, Any]:
    """Which Alertmanager recorded a fixture set, when, and how."""
    version = httpx.get(f"{alertmanager_url}/api/v2/status", timeout=5).json()
    return {
        "alertmanager_version": version["versionInfo"]["version"],
        "captured_at": datetime.now(UTC).isoformat(),
        "how": how,
    }


def write_captures(out: str, capture: Callable[[Path], dict[str, Any]]) -> None:
    """Run a capture in a scratch directory and write each body to `out`/<name>.json."""
    import tempfile

    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        captured = capture(Path(tmp))
    for name, body in captured.items():
        path = target / f"{name.lstrip('_')}.json"
        path.write_text(json.dumps(body, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    write_captures(sys.argv[1], capture)
