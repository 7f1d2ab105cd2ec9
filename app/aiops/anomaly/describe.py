"""What an AnomalyScoreHigh incident's summary says: which signal moved, from what to what.

The alerts carry the scored signal (anomaly_signal) and service (service_name). The gather step
reads each such signal's own series over the incident window (context_queries); the summary
then quotes it, normal (the median before the alert) against the alert window, next to the
score. Pure: no I/O.
"""

from __future__ import annotations

from aiops.anomaly.signals import BY_NAME, Signal
from aiops.context import Gathered, SeriesStats
from aiops.incidents import Incident

SIGNAL_LABEL = "anomaly_signal"
QUERY_PREFIX = "anomaly_"


def _signals(labels: list[dict[str, str]]) -> list[Signal]:
    names = sorted({lab[SIGNAL_LABEL] for lab in labels if lab.get(SIGNAL_LABEL) in BY_NAME})
    return [BY_NAME[n] for n in names]


def context_queries(alert_labels: list[dict[str, str]]) -> dict[str, str]:
    """One query per anomalous signal named by the incident's alerts (none for other alerts)."""
    return {f"{QUERY_PREFIX}{s.name}": s.query for s in _signals(alert_labels)}


def _num(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3g}{unit}"


def _series_of(ctx: Gathered, signal: Signal, service: str) -> SeriesStats | None:
    q = ctx.query(f"{QUERY_PREFIX}{signal.name}")
    if q is None:
        return None
    return next((s for s in q.series if s.labels.get("service_name") == service), None)


def _score_of(ctx: Gathered, signal: Signal, service: str) -> float | None:
    q = ctx.query("alert_expr")
    if q is None:
        return None
    peaks = [
        s.peak
        for s in q.series
        if s.labels.get(SIGNAL_LABEL) == signal.name
        and s.labels.get("service_name", service) == service
        and s.peak is not None
    ]
    return max(peaks) if peaks else None


def cause(incident: Incident, ctx: Gathered) -> str | None:
    """'<signal> of <service> moved: ...' for each anomalous signal; None for other alerts."""
    firing = [a.labels for a in incident.alerts.values() if a.status == "firing"] or [
        a.labels for a in incident.alerts.values()
    ]
    signals = _signals(firing)
    if not signals:
        return None
    service = incident.common_labels.get("service_name") or next(
        (lab["service_name"] for lab in firing if lab.get("service_name")), "the service"
    )
    parts = []
    for signal in signals:
        s = _series_of(ctx, signal, service)
        score = _score_of(ctx, signal, service)
        moved = (
            f"from {_num(s.baseline, signal.unit)} (median before the alert) to "
            f"{_num(s.peak, signal.unit)} at peak"
            if s is not None
            else "away from its median of the last hours (its series could not be read)"
        )
        scored = f"; anomaly score {score:.2f}" if score is not None else ""
        parts.append(f"the {signal.title} ({signal.name}) moved {moved}{scored}")
    return f"Anomaly on {service}: " + "; ".join(parts)
