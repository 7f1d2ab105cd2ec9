"""The detector on series recorded from a real run (tools/anomaly_record.py), over HTTP, and
the gauge it exports."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aiops.anomaly import detector
from aiops.anomaly.score import ALERT_SCORE, MIN_HISTORY, robust_score
from aiops.anomaly.signals import BY_NAME, SIGNALS
from tests.support.aiops_fixtures import load_json
from tools.processes import free_port
from tools.recorder import QuietHandler, serving

pytestmark = pytest.mark.unit

RECORDED = load_json("prometheus/anomaly.json")


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

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)["query"][0]
            seen.append(query)
            self.answer(200, json.dumps(answers[query]).encode())

    with serving(Handler) as url:
        yield url, seen


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
