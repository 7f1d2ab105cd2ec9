"""The deterministic summariser reasons over the gathered context: different contexts, different
causes; each fact names its source; what could not be read is said, not guessed."""

from __future__ import annotations

import pytest

from aiops.render import markdown
from aiops.summarise import offline, runbook
from tests.support.aiops_fixtures import RUNBOOKS, context, incident

pytestmark = pytest.mark.unit

LOKI_DOWN = "loki (http://loki:3100): ConnectError: All connection attempts failed"
TEMPO_DOWN = "tempo (http://tempo:3200): ConnectError: All connection attempts failed"
CHAT = "/v1/chat/completions"
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
OPUS = "anthropic.claude-opus-4-1-20250805-v1:0"


def _book(name: str) -> runbook.Runbook | None:
    return runbook.load(RUNBOOKS, name, None)


def test_crash_with_every_backend_names_route_exception_and_logged_message() -> None:
    inc = incident("crash-firing")
    s = offline.summarise(
        inc, context("crash", "crash-errors", ["crash-search"]), _book(inc.alertname)
    )
    assert s.route == "/crash" and s.route_source == "alert labels"
    assert s.error_message == "unhandled exception: simulated crash: /crash was called"
    assert s.error_message_source is not None and s.error_message_source.startswith("loki")
    assert "RuntimeError" in s.likely_cause and "/crash" in s.likely_cause
    assert "simulated crash" in s.likely_cause
    assert s.trace_ids[0] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert s.remediation[0].startswith("Find the failing route")
    assert s.remediation_source == "runbook UnhandledExceptions.md"
    assert "x normal" in s.deviation or "none before" in s.deviation
    assert s.unavailable == []


def test_crash_without_loki_takes_the_message_from_prometheus_and_says_loki_was_unread() -> None:
    inc = incident("crash-firing")
    s = offline.summarise(inc, context("crash", unavailable=[LOKI_DOWN]), None)
    assert s.route == "/crash"
    assert s.error_message == "RuntimeError"
    assert s.error_message_source == "prometheus genai_lab_exceptions_unhandled_total"
    # The model serving other routes meanwhile (its cost rose too) is not blamed for a crash.
    assert s.model is None and "USD/h" not in s.impact
    assert "Unhandled RuntimeError raised by /crash" in s.likely_cause
    assert s.unavailable == [LOKI_DOWN]
    assert s.remediation_source == "no runbook found for UnhandledExceptions"
    md = markdown(inc.model_copy(update={"summary": s}))
    assert "## Could not read" in md and LOKI_DOWN in md


def test_latency_alert_names_the_slow_route_and_model_from_the_series() -> None:
    inc = incident("latency-firing")  # two routes in the group: no route label in common
    s = offline.summarise(inc, context("latency", unavailable=[LOKI_DOWN, TEMPO_DOWN]), None)
    assert s.route == CHAT and s.route_source == "prometheus http p95 latency"
    assert s.model == HAIKU
    assert s.likely_cause.startswith("Slow responses: p95 latency of /v1/chat/completions")
    assert HAIKU in s.likely_cause
    assert "threshold > 2" in s.deviation


def test_cost_alert_names_the_expensive_model() -> None:
    inc = incident("crash-firing").model_copy(update={"category": "cost", "common_labels": {}})
    s = offline.summarise(inc, context("cost"), None)
    assert s.model == OPUS
    assert s.likely_cause.startswith(f"Spend driven by {OPUS}")


def test_same_alert_different_contexts_give_different_causes() -> None:
    inc = incident("crash-firing").model_copy(update={"common_labels": {}})
    for a in inc.alerts.values():
        a.labels.pop("http_route")
    causes = {
        "crash metrics": offline.summarise(inc, context("crash"), None),
        "throttling logs": offline.summarise(inc, context(logs="throttling-errors"), None),
        "latency metrics": offline.summarise(inc, context("latency"), None),
    }
    texts = {k: v.likely_cause for k, v in causes.items()}
    assert len(set(texts.values())) == 3, texts
    assert "ThrottlingException" in texts["throttling logs"]
    assert causes["throttling logs"].route == CHAT
    assert causes["throttling logs"].model == HAIKU
    assert causes["crash metrics"].route == "/crash"


def test_every_backend_down_says_undetermined_and_lists_them() -> None:
    inc = incident("crash-firing")
    prom_down = "prometheus (http://prometheus:9090): ConnectError: refused"
    s = offline.summarise(inc, context(unavailable=[prom_down, LOKI_DOWN, TEMPO_DOWN]), None)
    assert s.likely_cause.startswith("Undetermined on /crash: could not read prometheus, loki")
    # Only the alert itself is left to name the message, and it says so.
    assert s.error_message_source == "alert annotation description"
    assert s.unavailable == [prom_down, LOKI_DOWN, TEMPO_DOWN]


def test_resolved_incident_renders_its_resolution() -> None:
    from datetime import UTC, datetime

    from aiops.incidents import apply_notification
    from tests.support.aiops_fixtures import am_payload

    inc = incident("crash-firing")
    done, _ = apply_notification([inc], am_payload("crash-resolved"), datetime.now(UTC))
    assert done is not None
    s = offline.summarise(done, context("crash"), None)
    md = markdown(done.model_copy(update={"summary": s}))
    assert "**Status:** resolved" in md and "**Resolved:**" in md


def test_unrelated_frequent_errors_do_not_hide_the_route_at_fault() -> None:
    from aiops.context import LogEntry

    inc = incident("crash-firing")
    ctx = context("crash", "crash-errors")
    noise = [
        LogEntry(time=ctx.logs[0].time, message="session gc crashed", level="error")
        for _ in range(10)
    ]
    ctx = ctx.model_copy(update={"logs": noise + ctx.logs})
    s = offline.summarise(inc, ctx, None)
    assert s.error_message == "unhandled exception: simulated crash: /crash was called"
    assert "session gc crashed" not in s.likely_cause


def test_crash_storm_route_comes_from_prometheus_as_the_alert_has_no_route_label() -> None:
    inc = incident("crashstorm-firing")
    assert "http_route" not in inc.common_labels
    s = offline.summarise(inc, context("crash", unavailable=[LOKI_DOWN, TEMPO_DOWN]), None)
    assert s.route == "/crash"
    assert s.route_source == "prometheus genai_lab_exceptions_unhandled_total"
    assert s.error_message == "RuntimeError"


def test_crash_storm_in_the_stack_takes_route_and_message_from_loki_over_noise() -> None:
    inc = incident("crashstorm-firing")
    prom_down = "prometheus (http://prometheus:9090): ConnectError: refused"
    s = offline.summarise(inc, context(logs="crashstorm-errors", unavailable=[prom_down]), None)
    # The housekeeping job's error is more frequent, but it has no route: /crash is the route
    # the logs name, and its message is the one reported.
    assert s.route == "/crash" and s.route_source == "loki error logs"
    assert s.error_message == "unhandled exception: division by zero"
    assert s.error_message_source == "loki error logs (3 of 7 lines)"
    assert "division by zero" in s.likely_cause


def test_a_pipeline_alert_during_a_crash_does_not_blame_the_crash() -> None:
    inc = incident("crashstorm-firing").model_copy(
        update={"alertname": "TelemetryDropped", "category": "pipeline", "severity": "warning"}
    )
    s = offline.summarise(inc, context("crash", "crash-errors"), None)
    assert s.route is None and s.model is None
    assert "RuntimeError" not in s.likely_cause and "/crash" not in s.likely_cause
    assert s.likely_cause.startswith("No corroborating signal")
    assert "alert expression itself went from 0 to" in s.likely_cause
