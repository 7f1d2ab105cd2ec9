"""Native end-to-end for AI-ops: a real crash storm becomes an incident naming route and error.

Runs on the shared `alerting_pipeline` fixture (tests/e2e/conftest.py): the real service under
Locust and a /crash burst, Prometheus with the project's rules, Alertmanager with the project's
routes delivering its webhook to aiops, and aiops reading Prometheus back.

Natively there is no Loki or Tempo. So the route and the error come from Prometheus
(genai_lab_exceptions_unhandled_total by http_route and exception_type), the summary must say
so, and it must list Loki and Tempo as not read. In the compose stack the error's message
("division by zero") comes from the Loki log line instead (tests/unit/aiops, crashstorm-errors).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from dashgen.runbooks import runbook_url
from tests.e2e.conftest import Pipeline
from tests.support.aiops_service import wait_incident
from tools.processes import ROOT

pytestmark = pytest.mark.e2e

EXC_SOURCE = "prometheus genai_lab_exceptions_unhandled_total"


def _crash_storm_incident(p: Pipeline, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for inc in httpx.get(f"{p.aiops.base_url}/incidents", timeout=5).json():
            if inc["alertname"] == "CrashStorm":
                return wait_incident(p.aiops.base_url, inc["id"], timeout_s=30)
        time.sleep(0.5)
    raise TimeoutError(f"no CrashStorm incident {timeout_s}s after the burst")


def test_crash_storm_incident_names_the_crashing_route_and_error(
    alerting_pipeline: Pipeline,
) -> None:
    p = alerting_pipeline
    waited = time.monotonic() - p.burst_at
    incident = _crash_storm_incident(p, max(30.0, 150 - waited))
    summary = incident["summary"]

    # From the real Alertmanager, by the project's page route, with the alert contract.
    assert incident["receiver"] == "aiops-page"
    assert (incident["severity"], incident["category"]) == ("critical", "availability")
    assert incident["common_annotations"]["runbook_url"] == runbook_url("CrashStorm")

    # CrashStorm has no route label: aiops found the route in Prometheus.
    assert summary["route"] == "/crash"
    assert summary["route_source"] == EXC_SOURCE
    # The error, natively: the exception type the service counted for that route.
    assert summary["error_message"] == "ZeroDivisionError"
    assert summary["error_message_source"] == EXC_SOURCE
    assert "Unhandled ZeroDivisionError raised by /crash" in summary["likely_cause"]
    # How far from normal: the background /crash calls Locust makes are the baseline.
    assert "during the alert" in summary["deviation"]

    # Honest about what it could not read natively.
    assert [u.split(" ", 1)[0] for u in summary["unavailable"]] == ["loki", "tempo"]
    md = incident["markdown"]
    assert "/crash" in md and "ZeroDivisionError" in md and "## Could not read" in md

    # Next steps from the project's runbook once it exists.
    if (ROOT / "docs" / "runbooks" / "CrashStorm.md").exists():
        assert summary["remediation_source"] == "runbook CrashStorm.md"
        assert summary["remediation"]
    else:
        assert summary["remediation_source"] == "no runbook found for CrashStorm"

    # Alertmanager's later notifications for the same group are not new incidents.
    storms = [
        i
        for i in httpx.get(f"{p.aiops.base_url}/incidents", timeout=5).json()
        if i["alertname"] == "CrashStorm"
    ]
    assert len(storms) == 1
