"""The aiops service as a real process: webhook in, incidents out and kept across a restart,
its own telemetry exported, Bedrock unreachable. The rest of its API is tested in process
(tests/unit/aiops/test_main.py)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.aiops_fixtures import load_json
from tests.support.aiops_service import WEBHOOK_AUTH, run_aiops, wait_incident

pytestmark = pytest.mark.e2e


def test_firing_retry_resolve_and_restart(tmp_path: Path) -> None:
    incidents_dir = tmp_path / "incidents"
    firing = load_json("alertmanager/crash-firing.json")
    with run_aiops(incidents_dir) as aiops:
        t0 = time.monotonic()
        r = httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=firing, timeout=5)
        # Alertmanager's webhook timeout must never be spent on context gathering.
        assert time.monotonic() - t0 < 1.0
        assert r.status_code == 200 and r.json()["outcome"] == "created"
        inc_id = r.json()["incident_id"]

        retry = httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=firing, timeout=5)
        assert retry.json() == {"outcome": "duplicate", "incident_id": inc_id}

        inc = wait_incident(aiops.base_url, inc_id)
        summary = inc["summary"]
        assert summary["route"] == "/crash"
        # Every backend is down: the summary says what it could not read, and why.
        assert [u.split(" ", 1)[0] for u in summary["unavailable"]] == [
            "prometheus",
            "loki",
            "tempo",
        ]
        assert "ConnectError" in summary["unavailable"][0]
        assert summary["likely_cause"].startswith("Undetermined on /crash")
        assert "## Could not read" in inc["markdown"]

        listing = httpx.get(aiops.base_url + "/incidents", timeout=5).json()
        assert [i["id"] for i in listing] == [inc_id]
        assert "markdown" not in listing[0]

        resolved = load_json("alertmanager/crash-resolved.json")
        r = httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=resolved, timeout=5)
        assert r.json() == {"outcome": "resolved", "incident_id": inc_id}
        done = wait_incident(aiops.base_url, inc_id, status="resolved")
        assert done["resolved_at"] is not None and "**Status:** resolved" in done["markdown"]
        assert len(httpx.get(aiops.base_url + "/incidents", timeout=5).json()) == 1

    record = (incidents_dir / f"{inc_id}.md").read_text()
    assert "**Status:** resolved" in record
    # A restart keeps the incidents, and a late retry of the old firing changes nothing.
    with run_aiops(incidents_dir) as aiops:
        assert [i["id"] for i in httpx.get(aiops.base_url + "/incidents").json()] == [inc_id]
        again = httpx.post(
            aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=resolved, timeout=5
        ).json()
        assert again["outcome"] == "ignored"


def test_aiops_exports_its_own_metrics_as_service_aiops(tmp_path: Path) -> None:
    from tools.processes import free_port, prometheus_exporter_env

    port = free_port()
    env = {
        **prometheus_exporter_env(port),
    }
    with run_aiops(tmp_path, **env) as aiops:
        firing = load_json("alertmanager/crash-firing.json")
        inc_id = httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=firing).json()[
            "incident_id"
        ]
        httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, content=b"{}", timeout=5)
        wait_incident(aiops.base_url, inc_id)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    lines = text.splitlines()

    def sample(name: str, *labels: str) -> float:
        for line in lines:
            if line.startswith(name + "{") and all(lbl in line for lbl in labels):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no {name} with {labels} in:\n{text[:3000]}")

    assert sample("aiops_notifications_total", 'outcome="created"', 'service_name="aiops"') == 1
    assert sample("aiops_notifications_rejected_total", 'reason="schema"') == 1
    assert sample("aiops_backend_unreadable_total", 'backend="loki"') >= 1
    assert sample("aiops_summaries_total", 'summariser="offline"') >= 1
    route = 'http_route="/alerts"'
    count = "http_server_request_duration_seconds_count"
    assert sample(count, route, 'http_response_status_code="200"') == 1
    assert sample(count, route, 'http_response_status_code="422"') == 1


def test_bedrock_configured_but_unreachable_keeps_the_offline_summary(tmp_path: Path) -> None:
    from tests.support.aiops_service import closed_url

    env = {
        "BEDROCK_MODEL_ID": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        # Only loopback: the endpoint is a closed local port, never AWS.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": closed_url(),
    }
    with run_aiops(tmp_path, **env) as aiops:
        firing = load_json("alertmanager/crash-firing.json")
        inc_id = httpx.post(aiops.base_url + "/alerts", headers=WEBHOOK_AUTH, json=firing).json()[
            "incident_id"
        ]
        summary = wait_incident(aiops.base_url, inc_id, timeout_s=60)["summary"]
    assert summary["summariser"] == "offline (bedrock failed)"
    assert summary["unavailable"][-1].startswith("bedrock (anthropic.claude-3-5-haiku")
    assert "EndpointConnectionError" in summary["unavailable"][-1]
    assert summary["route"] == "/crash"
