"""Prometheus context: the alert's own expression over time and the related RED and cost series."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from aiops.context import QueryResult, SeriesStats
from lab_telemetry.instruments import catalogue


async def rule_expr(
    client: httpx.AsyncClient, base_url: str, alertname: str, alert_labels: dict[str, str]
) -> str | None:
    """The PromQL of the alerting rule named alertname, as Prometheus itself has it loaded.

    Never the payload's generatorURL: anything that can reach the webhook could put any query
    there. The alert name only selects among Prometheus's own rules (GET /api/v1/rules with
    rule_name[], Prometheus docs querying/api.md); a name no rule has gives no query at all.
    """
    r = await client.get(
        f"{base_url}/api/v1/rules", params={"type": "alert", "rule_name[]": alertname}
    )
    r.raise_for_status()
    body = r.json()
    rules = [
        rule
        for group in (body.get("data") or {}).get("groups") or []
        for rule in group.get("rules") or []
        if rule.get("type") == "alerting" and rule.get("name") == alertname
    ]
    # Several rules may share a name (one per severity): take the one whose labels the alert has.
    for rule in rules:
        labels = rule.get("labels") or {}
        if all(alert_labels.get(k) == v for k, v in labels.items()):
            return str(rule["query"])
    return str(rules[0]["query"]) if rules else None


def split_threshold(expr: str) -> tuple[str, str | None]:
    """Split `<query> > 2` into the query and its threshold.

    Range-querying the whole alert expression only returns points above the threshold, so
    "normal" would be invisible; the query on its own shows where it was before.
    """
    depth = 0
    for i in range(len(expr) - 1, -1, -1):
        c = expr[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            depth -= 1
        elif depth == 0 and c in "<>=!":
            j = i
            while j > 0 and expr[j - 1] in "<>=!":
                j -= 1
            rhs = expr[i + 1 :].strip()
            op = expr[j : i + 1]
            value = rhs.removeprefix("bool").strip()
            try:
                float(value)
            except ValueError:
                return expr, None
            if op not in (">", "<", ">=", "<=", "==", "!="):
                return expr, None
            lhs = expr[:j].strip()
            if _has_top_level_operator(lhs):
                # `a > 1 or b > 2`: no single query to compare with a single threshold.
                return expr, None
            return lhs, f"{op} {value}"
    return expr, None


def _has_top_level_operator(expr: str) -> bool:
    depth = 0
    in_quote = False
    for i, c in enumerate(expr):
        if c == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and (c in "<>!" or (c == "=" and expr[i - 1 : i] in ("=", "!", "<", ">"))):
            return True
    words = f" {expr} ".replace("\n", " ").replace("\t", " ")
    return any(f" {w} " in words for w in ("or", "and", "unless"))


def selector(alert_labels: dict[str, str]) -> str:
    """Label matchers that keep the queries on the alerting service.

    aiops exports the same HTTP metrics as the service; without this its own requests would
    count as the service's traffic.
    """
    for key in ("service_name", "job"):
        if alert_labels.get(key):
            value = alert_labels[key].replace("\\", "\\\\").replace('"', '\\"')
            return f'{key}="{value}"'
    return 'job!~".*aiops.*", service_name!="aiops"'


def related_queries(alert_labels: dict[str, str]) -> dict[str, str]:
    """Queries for error rate, p95 latency, cost, exceptions and provider errors.

    Names and labels come from the catalogue; a renamed metric fails here at start-up, not
    silently at 3 a.m.
    """
    cat = catalogue()
    sel = selector(alert_labels)
    http = cat["http.server.request.duration"]
    genai = cat["gen_ai.client.operation.duration"]
    cost = cat["genai_lab.cost.usd"]
    exc = cat["genai_lab.exceptions.unhandled"]
    perr = cat["genai_lab.provider.errors"]
    route = http.label("http.route")
    status = http.label("http.response.status_code")
    model = genai.label("gen_ai.request.model")
    return {
        "error_rate": (
            f'sum by ({route}) (rate({http.prometheus}_count{{{sel}, {status}=~"5.."}}[1m]))'
        ),
        "p95_latency": (
            f"histogram_quantile(0.95, sum by (le, {route}) "
            f"(rate({http.prometheus}_bucket{{{sel}}}[1m])))"
        ),
        "model_p95_latency": (
            f"histogram_quantile(0.95, sum by (le, {model}) "
            f"(rate({genai.prometheus}_bucket{{{sel}}}[1m])))"
        ),
        "cost_rate": (
            f"sum by ({cost.label('gen_ai.request.model')}) "
            f"(rate({cost.prometheus}{{{sel}}}[5m])) * 3600"
        ),
        "exceptions": (
            f"sum by ({exc.label('http.route')}, {exc.label('exception.type')}) "
            f"(increase({exc.prometheus}{{{sel}}}[1m]))"
        ),
        "provider_errors": (
            f"sum by ({perr.label('gen_ai.request.model')}, {perr.label('error.type')}) "
            f"(increase({perr.prometheus}{{{sel}}}[1m]))"
        ),
    }


def step_for(start: datetime, end: datetime, points: int = 120) -> float:
    return max(1.0, math.ceil((end - start).total_seconds() / points))


def range_params(query: str, start: datetime, end: datetime) -> dict[str, str]:
    return {
        "query": query,
        "start": f"{start.timestamp():.3f}",
        "end": f"{end.timestamp():.3f}",
        "step": f"{step_for(start, end):g}",
    }


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def series_stats(
    metric: dict[str, str],
    values: Sequence[Sequence[object]],
    alert_start: datetime,
    expected_before: int = 0,
) -> SeriesStats:
    """Split one matrix series at the alert start: normal before, alert window after.

    expected_before is how many points the baseline would have if the series had existed all
    along. A counter first created by the incident (the first exception of its kind) has no
    points before it; its normal is zero, not "unknown".
    """
    cut = alert_start.timestamp()
    points: list[tuple[float, float]] = []
    for ts, raw in values:
        v = float(str(raw))
        if not (math.isnan(v) or math.isinf(v)):
            points.append((float(str(ts)), v))
    before = [v for t, v in points if t < cut]
    window_vals = [v for t, v in points if t >= cut]
    if before and len(before) < expected_before:
        before += [0.0] * (expected_before - len(before))
    # The median, not the mean: the last points before startsAt already belong to the rule's
    # pending period (and a rate window drags the rise back further); they are not normal.
    baseline = statistics.median(before) if before else None
    threshold = max(baseline or 0.0, 0.0) * 1.5 + 1e-9
    # Scanned from the start of the range: the first sign usually precedes the alert's start.
    rose = next((t for t, v in points if v > threshold), None)
    return SeriesStats(
        labels={k: v for k, v in metric.items() if k != "__name__"},
        baseline=baseline,
        window=_mean(window_vals),
        peak=max(window_vals) if window_vals else None,
        latest=points[-1][1] if points else None,
        first_nonzero=datetime.fromtimestamp(rose, UTC) if rose is not None else None,
    )


def parse_matrix(
    name: str,
    query: str,
    body: dict[str, Any],
    alert_start: datetime,
    window_start: datetime | None = None,
    step_s: float = 0,
) -> QueryResult:
    """Parse a /api/v1/query_range response (Prometheus docs: querying/api.md, range vectors)."""
    if body.get("status") != "success":
        raise ValueError(f"prometheus answered {body.get('status')}: {body.get('error')}")
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        raise ValueError(f"expected a matrix, got {data.get('resultType')}")
    expected = (
        int((alert_start - window_start).total_seconds() // step_s)
        if window_start is not None and step_s > 0
        else 0
    )
    series = [
        series_stats(item["metric"], item["values"], alert_start, expected)
        for item in data["result"]
    ]
    return QueryResult(name=name, query=query, series=series)


async def range_query(
    client: httpx.AsyncClient,
    base_url: str,
    name: str,
    query: str,
    start: datetime,
    end: datetime,
    alert_start: datetime,
) -> QueryResult:
    r = await client.get(f"{base_url}/api/v1/query_range", params=range_params(query, start, end))
    if r.status_code >= 500:
        r.raise_for_status()
    return parse_matrix(name, query, r.json(), alert_start, start, step_for(start, end))
