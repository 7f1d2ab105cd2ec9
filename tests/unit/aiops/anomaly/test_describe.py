"""What an AnomalyScoreHigh incident's summary says: the signal that moved and by how much."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aiops.anomaly import describe
from aiops.anomaly.signals import BY_NAME
from aiops.context import Gathered
from aiops.gather import prometheus
from aiops.incidents import AlertState
from aiops.summarise import offline
from tests.support.aiops_fixtures import incident, load_json

pytestmark = pytest.mark.unit

RECORDED = load_json("prometheus/anomaly.json")


def anomaly_incident(signal: str) -> Any:
    """The CrashStorm delivery as a real Alertmanager sent it, relabelled as AnomalyScoreHigh
    is raised (prometheus/rules/anomaly.yml) over the recorded service's series."""
    inc = incident("crashstorm-firing")
    recorded = RECORDED["snapshots"]["latency"]["latency_p95"]["data"]["result"][0]["metric"]
    labels = {
        "alertname": "AnomalyScoreHigh",
        "severity": "warning",
        "category": "latency",
        **recorded,  # deployment_environment_name, service_namespace, service_name
        "anomaly_service": recorded["service_name"],
        "anomaly_signal": signal,
    }
    alerts = {
        fp: AlertState(**{**a.model_dump(), "labels": labels}) for fp, a in inc.alerts.items()
    }
    start = datetime.fromtimestamp(RECORDED["phases"]["latency"], UTC)
    alerts = {fp: a.model_copy(update={"starts_at": start}) for fp, a in alerts.items()}
    return inc.model_copy(
        update={
            "alertname": "AnomalyScoreHigh",
            "category": "latency",
            "common_labels": labels,
            "alerts": alerts,
        }
    )


def test_context_queries_ask_for_the_signal_that_moved() -> None:
    inc = anomaly_incident("latency_p95")
    queries = describe.context_queries([a.labels for a in inc.alerts.values()])
    assert queries == {"anomaly_latency_p95": BY_NAME["latency_p95"].query}
    assert describe.context_queries([{"alertname": "CrashStorm"}]) == {}


def test_the_summary_quotes_which_signal_moved_and_by_how_much() -> None:
    inc = anomaly_incident("latency_p95")
    start = datetime.fromtimestamp(RECORDED["phases"]["baseline"], UTC)
    end = datetime.fromtimestamp(RECORDED["snapshot_ends"]["latency"], UTC)
    body = RECORDED["snapshots"]["latency"]["latency_p95"]
    step = float(RECORDED["step_s"])
    q = prometheus.parse_matrix(
        "anomaly_latency_p95", BY_NAME["latency_p95"].query, body, inc.started_at, start, step
    )
    ctx = Gathered(window_start=start, alert_start=inc.started_at, window_end=end, prometheus=[q])
    summary = offline.summarise(inc, ctx, None)
    (series,) = q.series
    assert series.peak > 3 * series.baseline  # the recorded fault is large
    assert summary.likely_cause.startswith("Anomaly on genai-service: the p95 latency")
    assert "(latency_p95)" in summary.likely_cause
    assert f"{series.baseline:.3g} s (median before the alert)" in summary.likely_cause
    assert f"{series.peak:.3g} s at peak" in summary.likely_cause


def test_without_the_series_the_summary_still_names_the_signal() -> None:
    inc = anomaly_incident("cost_rate")
    now = datetime.now(UTC)
    ctx = Gathered(window_start=now, alert_start=now, window_end=now)
    cause = offline.summarise(inc, ctx, None).likely_cause
    assert cause.startswith("Anomaly on genai-service: the cost rate (cost_rate) moved")
    assert "could not be read" in cause
