"""Anomaly scores: the robust z-score, the detector on series recorded from a real run, the
gauge, and what an AnomalyScoreHigh incident's summary says."""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aiops.anomaly import describe, detector
from aiops.anomaly.score import ALERT_SCORE, MIN_HISTORY, OUTLIER_Z, normalise, robust_score
from aiops.anomaly.signals import BY_NAME, SIGNALS
from aiops.context import Gathered
from aiops.gather import prometheus
from aiops.incidents import AlertState
from aiops.summarise import offline
from tests.app.aiops.fixtures import incident, load_json
from tests.support.processes import free_port

pytestmark = pytest.mark.unit

RECORDED = load_json("prometheus/anomaly.json")


# ------------------------------------------------------------------ the score


def test_the_score_is_0_8_at_the_outlier_cut_off_and_rises_only() -> None:
    assert normalise(OUTLIER_Z) == pytest.approx(ALERT_SCORE)
    assert normalise(0) == 0 and normalise(-10) == 0 and normalise(math.nan) == 0
    values = [normalise(z / 2) for z in range(0, 40)]
    assert values == sorted(values) and values[-1] < 1


def noisy(n: int = 60, level: float = 1.0, wobble: float = 0.05) -> list[float]:
    # Deterministic wobble around a level (a triangle wave), like a steady rate.
    return [level + wobble * ((i % 7) - 3) / 3 for i in range(n)]


def test_normal_values_score_low_and_a_jump_scores_high() -> None:
    history = noisy()
    assert robust_score(history, 1.03).score < 0.3
    high = robust_score(history, 2.0)
    assert high.median == pytest.approx(1.0) and high.score > 0.99


def test_a_spike_in_the_history_does_not_hide_the_next_one() -> None:
    # 15% of the history is an earlier incident at 5x; mean and std would absorb it.
    history = noisy(85) + [5.0] * 15
    s = robust_score(history, 2.0)
    assert s.median == pytest.approx(1.0, abs=0.05)
    assert s.score > ALERT_SCORE
    mean = sum(history) / len(history)
    std = math.sqrt(sum((v - mean) ** 2 for v in history) / len(history))
    assert (2.0 - mean) / std < OUTLIER_Z  # what a mean/std z-score would have said


def test_a_flat_history_uses_the_floor_not_a_zero_mad() -> None:
    flat = [0.0] * 40
    assert robust_score(flat, 0.001, min_scale=0.002).score < 0.5
    assert robust_score(flat, 0.05, min_scale=0.002).score > ALERT_SCORE
    assert robust_score(flat, 0.0).score == 0.0
    assert robust_score(flat, 0.5).score == 1.0  # no floor at all: any rise is extreme


def test_no_score_without_enough_history_or_a_current_value() -> None:
    assert robust_score(noisy(MIN_HISTORY - 1), 5.0) is None
    assert robust_score(noisy(), math.nan) is None
    assert robust_score([math.nan] * 100, 1.0) is None


def test_drops_score_zero() -> None:
    assert robust_score(noisy(), 0.1).score == 0.0


# ------------------------------------------------------------------ recorded series


def scores_at(snapshot: str, history_before: str) -> dict[str, float]:
    """Each signal's score at the end of a recorded snapshot, against the points before the
    given phase started."""
    end = RECORDED["snapshot_ends"][snapshot]
    recent = end - RECORDED["phases"][history_before]
    out = {}
    for signal in SIGNALS:
        body = RECORDED["snapshots"][snapshot][signal.name]
        assert body["status"] == "success", body
        scored = detector.score_matrix(signal, body["data"]["result"], end, recent)
        (labels, score), *_ = scored
        assert labels["service_name"] == "genai-service"
        out[signal.name] = score.score
    return out


def test_recorded_run_has_every_signal() -> None:
    for snapshot in ("latency", "errors"):
        for signal in SIGNALS:
            result = RECORDED["snapshots"][snapshot][signal.name]["data"]["result"]
            assert len(result) == 1, (snapshot, signal.name)
            assert len(result[0]["values"]) > 60


def test_a_latency_fault_moves_latency_only() -> None:
    scores = scores_at("latency", "latency")
    assert scores["latency_p95"] > ALERT_SCORE, scores
    for name in ("error_ratio", "cost_rate", "token_rate"):
        assert scores[name] < ALERT_SCORE, (name, scores)


def test_failing_calls_move_the_error_ratio() -> None:
    scores = scores_at("errors", "errors")
    assert scores["error_ratio"] > ALERT_SCORE, scores
    # Spend and tokens follow the arrival rate, which did not change.
    assert scores["cost_rate"] < ALERT_SCORE and scores["token_rate"] < ALERT_SCORE, scores


def test_the_quiet_baseline_scores_low() -> None:
    # Each baseline point against the baseline before it: no false alarm on a steady load.
    latency_start = RECORDED["phases"]["latency"]
    for signal in SIGNALS:
        (series,) = RECORDED["snapshots"]["latency"][signal.name]["data"]["result"]
        points = [(float(t), float(v)) for t, v in series["values"] if float(t) < latency_start]
        for i in range(MIN_HISTORY + 10, len(points)):
            history = [v for _, v in points[: i - 5]]
            s = robust_score(history, points[i][1], min_scale=signal.min_scale)
            assert s is None or s.score < ALERT_SCORE, (signal.name, points[i], s)


# ------------------------------------------------------------------ the detector over HTTP


@contextlib.contextmanager
def recorded_prometheus(snapshot: str) -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering query_range with the recorded answer for each query."""
    answers = {BY_NAME[name].query: body for name, body in RECORDED["snapshots"][snapshot].items()}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)["query"][0]
            seen.append(query)
            data = json.dumps(answers[query]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_the_detector_scores_and_exports_what_prometheus_answers() -> None:
    end = RECORDED["snapshot_ends"]["latency"]
    config = detector.DetectorConfig(
        lookback_s=end - RECORDED["phases"]["baseline"],
        recent_s=end - RECORDED["phases"]["latency"],
        step_s=RECORDED["step_s"],
    )
    with recorded_prometheus("latency") as (url, seen):
        async with httpx.AsyncClient(timeout=5) as client:
            d = detector.Detector(url, client, config)
            ranked = await d.run_once(datetime.fromtimestamp(end, UTC))
    assert sorted(seen) == sorted(s.query for s in SIGNALS)
    top = ranked[0]
    assert (top.service, top.signal.name) == ("genai-service", "latency_p95")
    assert top.score.score > ALERT_SCORE
    exported = {
        (o.attributes["anomaly.service"], o.attributes["anomaly.signal"]): o.value
        for o in detector._observe(None)
    }
    assert exported[("genai-service", "latency_p95")] == top.score.score
    assert set(exported) == {("genai-service", s.name) for s in SIGNALS}


async def test_an_unreadable_prometheus_leaves_no_stale_scores() -> None:
    detector._publish([])
    async with httpx.AsyncClient(timeout=2) as client:
        port = free_port()  # nothing listens there
        d = detector.Detector(f"http://127.0.0.1:{port}", client, detector.DetectorConfig())
        assert await d.run_once() == []
    assert list(detector._observe(None)) == []


# ------------------------------------------------------------------ the summary


def anomaly_incident(signal: str) -> Any:
    """The CrashStorm delivery as a real Alertmanager sent it, relabelled as AnomalyScoreHigh
    is raised (prometheus/rules/anomaly.yml)."""
    inc = incident("crashstorm-firing")
    labels = {
        "alertname": "AnomalyScoreHigh",
        "severity": "warning",
        "category": "latency",
        "service_name": "genai-service",
        "anomaly_service": "genai-service",
        "anomaly_signal": signal,
        "deployment_environment_name": "anomaly-record",
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
