"""Loading the aiops fixtures and turning them into the objects the code works on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiops.context import Gathered, QueryResult
from aiops.gather import loki, prometheus, tempo
from aiops.incidents import Incident, apply_notification
from aiops.payload import WebhookPayload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiops"
RUNBOOKS = FIXTURES / "runbooks"


def load_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text())


def am_payload(name: str) -> WebhookPayload:
    return WebhookPayload.model_validate(load_json(f"alertmanager/{name}.json"))


def incident(name: str = "crash-firing") -> Incident:
    got, outcome = apply_notification([], am_payload(name), datetime.now(UTC))
    assert got is not None and outcome == "created"
    return got


def prom_scenario(name: str) -> tuple[list[QueryResult], dict[str, Any]]:
    scenario = load_json("prometheus/recorded.json")["scenarios"][name]
    alert_start = datetime.fromisoformat(scenario["alert_start"])
    start = datetime.fromisoformat(scenario["window_start"])
    step = prometheus.step_for(start, datetime.fromisoformat(scenario["window_end"]))
    results = [
        prometheus.parse_matrix(q, r["query"], r["body"], alert_start, start, step)
        for q, r in scenario["responses"].items()
    ]
    return results, scenario


def context(
    prom: str | None = None,
    logs: str | None = None,
    traces: list[str] | None = None,
    unavailable: list[str] | None = None,
) -> Gathered:
    """A gathered context assembled from recorded/documented backend answers."""
    results: list[QueryResult] = []
    # The recorded scenario names its window and alert as Gathered does; without one, now.
    window: dict[str, Any] = dict.fromkeys(
        ("window_start", "alert_start", "window_end"), datetime.now(UTC)
    )
    alert: dict[str, Any] = {}
    if prom:
        results, scenario = prom_scenario(prom)
        window = {name: datetime.fromisoformat(scenario[name]) for name in window}
        expr = scenario["alert_expr"]
        alert = {"alert_expr": expr, "alert_threshold": prometheus.split_threshold(expr)[1]}
    entries = loki.parse_streams(load_json(f"loki/{logs}.json")) if logs else []
    hits = []
    for t in traces or []:
        hits += tempo.parse_search(load_json(f"tempo/{t}.json"), error=t.startswith("crash"))
    return Gathered(
        **window,
        **alert,
        prometheus=results,
        logs=entries,
        traces=hits,
        unavailable=unavailable or [],
    )
