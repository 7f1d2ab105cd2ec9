"""Score every service's signals from Prometheus every minute and export the scores.

One pass (run_once): for each signal, one /api/v1/query_range over the lookback; per series
(one per service), the points older than `recent_s` are the history and the newest point is
the current value (score.py). The latest scores are what the gauge aiops_anomaly_score reports,
so a signal that stops (a service gone) stops being reported instead of freezing. A pass that
cannot read Prometheus keeps nothing stale either: the failed signal has no score until the
next pass reads it, and the failure is logged and counted (aiops_backend_unreadable_total).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from opentelemetry import metrics

from aiops import telemetry
from aiops.anomaly.score import Score, robust_score
from aiops.anomaly.signals import SIGNALS, Signal
from lab_telemetry.instruments import catalogue

log = structlog.get_logger("aiops.anomaly")

SCORE_METRIC = "aiops.anomaly.score"


@dataclass(frozen=True)
class DetectorConfig:
    interval_s: float = 60.0
    lookback_s: float = 3 * 3600.0
    recent_s: float = 300.0  # newer than this is not history (an ongoing anomaly is not normal)
    step_s: float = 30.0


@dataclass(frozen=True)
class Anomaly:
    service: str
    signal: Signal
    score: Score
    at: datetime
    labels: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "signal": self.signal.name,
            "title": self.signal.title,
            "score": round(self.score.score, 4),
            "z": None if math.isinf(self.score.z) else round(self.score.z, 3),
            "current": self.score.current,
            "median": self.score.median,
            "mad": self.score.mad,
            "at": self.at.isoformat(),
        }


def score_matrix(
    signal: Signal, result: Sequence[dict[str, Any]], now: float, recent_s: float
) -> list[tuple[dict[str, str], Score]]:
    """Score each series of a query_range matrix: newest point against the points before
    now - recent_s."""
    scored = []
    for item in result:
        points = [(float(t), float(v)) for t, v in item.get("values", [])]
        if not points:
            continue
        history = [v for t, v in points if t < now - recent_s]
        t_last, current = points[-1]
        if t_last < now - 2 * recent_s:
            continue  # the series stopped long ago: nothing current to score
        s = robust_score(history, current, min_scale=signal.min_scale)
        if s is not None:
            scored.append((dict(item.get("metric", {})), s))
    return scored


class Detector:
    def __init__(self, prometheus_url: str, client: httpx.AsyncClient, config: DetectorConfig):
        self.prometheus_url = prometheus_url.rstrip("/")
        self.client = client
        self.config = config
        self.latest: dict[tuple[str, str], Anomaly] = {}

    async def _range(self, signal: Signal, now: datetime) -> list[dict[str, Any]]:
        end = now.timestamp()
        params = {
            "query": signal.query,
            "start": f"{end - self.config.lookback_s:.3f}",
            "end": f"{end:.3f}",
            "step": f"{self.config.step_s:g}",
        }
        r = await self.client.get(f"{self.prometheus_url}/api/v1/query_range", params=params)
        r.raise_for_status()
        body = r.json()
        if body.get("status") != "success" or body["data"].get("resultType") != "matrix":
            raise ValueError(f"unexpected answer: {str(body)[:200]}")
        return list(body["data"]["result"])

    async def run_once(self, now: datetime | None = None) -> list[Anomaly]:
        now = now or datetime.now(UTC)
        found: dict[tuple[str, str], Anomaly] = {}
        for signal in SIGNALS:
            try:
                result = await self._range(signal, now)
            except Exception as exc:  # one unreadable signal must not stop the others
                telemetry.backend_unreadable.add(1, {"backend": "prometheus"})
                log.warning("anomaly_signal_unreadable", signal=signal.name, error=str(exc)[:200])
                continue
            for labels, s in score_matrix(signal, result, now.timestamp(), self.config.recent_s):
                service = labels.get("service_name", "")
                found[(service, signal.name)] = Anomaly(service, signal, s, now, labels)
        self.latest = found
        _publish(found.values())
        return sorted(found.values(), key=lambda a: a.score.score, reverse=True)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("anomaly_pass_failed")
            await asyncio.sleep(self.config.interval_s)


# The gauge reports the last pass of whichever detector ran last (one per process).
_scores: dict[tuple[str, str], float] = {}


def _publish(anomalies: Iterable[Anomaly]) -> None:
    global _scores
    _scores = {(a.service, a.signal.name): a.score.score for a in anomalies}


def _observe(_options: Any) -> Iterable[metrics.Observation]:
    return [
        metrics.Observation(score, {"anomaly.service": service, "anomaly.signal": signal})
        for (service, signal), score in _scores.items()
    ]


_spec = catalogue()[SCORE_METRIC]
metrics.get_meter("aiops").create_observable_gauge(
    _spec.name, callbacks=[_observe], unit=_spec.unit, description=_spec.description
)


def from_settings(settings: Any, client: httpx.AsyncClient) -> Detector | None:
    """The detector aiops runs, or None when AIOPS_ANOMALY_INTERVAL_S is 0."""
    if settings.anomaly_interval_s <= 0:
        return None
    config = DetectorConfig(
        interval_s=settings.anomaly_interval_s, lookback_s=settings.anomaly_lookback_s
    )
    return Detector(settings.prometheus_url, client, config)


@contextlib.asynccontextmanager
async def running(detector: Detector | None) -> AsyncIterator[Detector | None]:
    """Run the detector in the background while the block runs (aiops's lifespan)."""
    if detector is None:
        yield None
        return
    task = asyncio.create_task(detector.run_forever(), name="anomaly-detector")
    try:
        yield detector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
