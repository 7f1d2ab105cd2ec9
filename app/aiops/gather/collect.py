"""Gather every backend's context for one incident, concurrently, never raising.

A backend that is down, slow or answers nonsense becomes a line in `unavailable` saying what
could not be read and why; the summary then says so instead of guessing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
import structlog

from aiops.anomaly import describe as anomaly
from aiops.context import Gathered, LogEntry, QueryResult, TraceHit
from aiops.gather import loki, prometheus, tempo
from aiops.incidents import Incident
from aiops.settings import Settings

log = structlog.get_logger("aiops.gather")
T = TypeVar("T")


def _why(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


async def _guard(label: str, coro: Awaitable[T], unavailable: list[str]) -> T | None:
    try:
        return await coro
    except Exception as exc:  # every failure is reported, none may stop the incident
        unavailable.append(f"{label}: {_why(exc)}")
        log.warning("backend_unreadable", backend=label, error=_why(exc))
        return None


def window(incident: Incident, settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    start = incident.started_at - timedelta(seconds=settings.baseline_s)
    end = (
        now
        if incident.resolved_at is None
        else min(now, incident.resolved_at + timedelta(minutes=1))
    )
    return start, max(end, incident.started_at + timedelta(seconds=1))


async def gather(
    incident: Incident, settings: Settings, client: httpx.AsyncClient, now: datetime
) -> Gathered:
    start, end = window(incident, settings, now)
    alert_start = incident.started_at
    unavailable: list[str] = []
    firing = [a for a in incident.alerts.values() if a.status == "firing"] or list(
        incident.alerts.values()
    )
    prom_label = f"prometheus ({settings.prometheus_url})"
    # Loki and Tempo start now; the Prometheus queries wait for the rule's expression.
    loki_task = asyncio.ensure_future(
        _guard(
            f"loki ({settings.loki_url})",
            loki.error_logs(client, settings.loki_url, settings.watched_service, start, end),
            unavailable,
        )
    )
    tempo_task = asyncio.ensure_future(
        _guard(
            f"tempo ({settings.tempo_url})",
            tempo.notable_traces(client, settings.tempo_url, settings.watched_service, start, end),
            unavailable,
        )
    )
    expr = await _guard(
        f"{prom_label} rules",
        prometheus.rule_expr(client, settings.prometheus_url, incident.alertname, firing[0].labels),
        unavailable,
    )
    queries: dict[str, str] = {}
    threshold = None
    if expr:
        queries["alert_expr"], threshold = prometheus.split_threshold(expr)
    queries.update(prometheus.related_queries(incident.common_labels))
    queries.update(anomaly.context_queries([a.labels for a in firing]))

    prom_tasks = [
        _guard(
            f"{prom_label} query {name}",
            prometheus.range_query(
                client, settings.prometheus_url, name, q, start, end, alert_start
            ),
            unavailable,
        )
        for name, q in queries.items()
    ]
    results = await asyncio.gather(*prom_tasks, loki_task, tempo_task)
    prom_results = [r for r in results[: len(prom_tasks)] if isinstance(r, QueryResult)]
    loki_result = results[len(prom_tasks)]
    tempo_result = results[len(prom_tasks) + 1]
    logs: list[LogEntry] = loki_result[1] if isinstance(loki_result, tuple) else []
    traces: list[TraceHit] = tempo_result if isinstance(tempo_result, list) else []
    return Gathered(
        window_start=start,
        alert_start=alert_start,
        window_end=end,
        alert_expr=expr,
        alert_threshold=threshold,
        prometheus=prom_results,
        logs=logs,
        traces=traces,
        unavailable=_collapse(unavailable, prom_label, len(queries) + 1),
    )


def _collapse(unavailable: list[str], prom_label: str, n_queries: int) -> list[str]:
    """One line for Prometheus when every call (the rules lookup and each query) failed the
    same way: it is simply down."""
    prom = [u for u in unavailable if u.startswith(prom_label)]
    reasons = {u.split(": ", 1)[1] for u in prom}
    if len(prom) >= n_queries - 1 and len(reasons) == 1:
        return [f"{prom_label}: {reasons.pop()}"] + [u for u in unavailable if u not in prom]
    return unavailable
