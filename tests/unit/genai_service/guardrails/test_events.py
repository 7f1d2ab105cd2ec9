"""Security events: one schema, logged through structlog, counted, put on the span; no text."""

from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from genai_service.guardrails.events import (
    EVENTS_METRIC,
    PII_METRIC,
    EventType,
    GuardrailTelemetry,
    SecurityEvent,
)
from tests.unit.genai_service.guardrails.telemetry_support import LocalTelemetry

pytestmark = pytest.mark.unit

SCHEMA = {"event_type", "severity", "action", "tenant_id", "request_id"}
OPTIONAL = {"reason", "injection_score", "injection_signals", "pii_counts", "pii_total",
            "retry_after_s", "principal_tenant"}  # fmt: skip


def test_every_event_type_logs_the_schema_and_counts_once() -> None:
    local = LocalTelemetry()
    with capture_logs() as logs:
        telemetry = GuardrailTelemetry(instruments=local.instruments)
        for t in EventType:
            telemetry.emit(SecurityEvent(type=t, tenant_id="acme", request_id=f"r-{t}"))
    assert [e["event_type"] for e in logs] == [str(t) for t in EventType]
    for entry in logs:
        assert entry["event"] == "security_event"
        assert SCHEMA <= set(entry) <= SCHEMA | OPTIONAL | {"event", "log_level"}
    levels = {e["event_type"]: e["log_level"] for e in logs}
    assert levels["injection_blocked"] == "error"
    assert levels["auth_failed"] == "warning"
    assert levels["pii_detected"] == "info"
    points = local.points(EVENTS_METRIC)
    assert len(points) == len(EventType)
    for attrs, value in points:
        assert set(attrs) == {"event.type", "severity", "action", "tenant.id"}
        assert value == 1
    actions = {a["event.type"]: a["action"] for a, _ in points}
    assert actions == {
        "auth_failed": "rejected",
        "rate_limited": "throttled",
        "budget_exceeded": "throttled",
        "injection_flagged": "flagged",
        "injection_blocked": "blocked",
        "pii_detected": "observed",
        "tenant_delegated": "observed",
    }


def test_pii_counts_by_type_are_counted_not_valued() -> None:
    local = LocalTelemetry()
    telemetry = GuardrailTelemetry(instruments=local.instruments)
    with capture_logs() as logs:
        telemetry.emit(
            SecurityEvent(
                type=EventType.PII_DETECTED,
                tenant_id="acme",
                request_id="r1",
                counts={"email": 2, "credit_card": 1, "ssn": 0},
            )
        )
    assert logs[0]["pii_counts"] == {"credit_card": 1, "email": 2, "ssn": 0}
    assert logs[0]["pii_total"] == 3
    by_type = {a["pii.type"]: v for a, v in local.points(PII_METRIC)}
    assert by_type == {"email": 2, "credit_card": 1}


def test_event_becomes_a_span_event_on_the_current_span() -> None:
    local = LocalTelemetry()
    telemetry = GuardrailTelemetry(instruments=local.instruments)
    with capture_logs(), local.tracer.start_as_current_span("POST /v1/chat/completions"):
        telemetry.emit(
            SecurityEvent(
                type=EventType.INJECTION_BLOCKED,
                tenant_id="acme",
                request_id="r1",
                score=0.93,
                signals=("instruction_override", "prompt_extraction"),
            )
        )
    (span,) = local.spans.get_finished_spans()
    (event,) = span.events
    assert event.name == "security_event"
    assert event.attributes["genai_lab.security.event_type"] == "injection_blocked"
    assert event.attributes["genai_lab.security.injection_score"] == 0.93
    assert tuple(event.attributes["genai_lab.security.injection_signals"]) == (
        "instruction_override",
        "prompt_extraction",
    )


def test_schema_has_no_field_for_text() -> None:
    # The only way to pass text would be a field; there is none, so construction fails.
    with pytest.raises(TypeError):
        SecurityEvent(  # type: ignore[call-arg]
            type=EventType.INJECTION_FLAGGED, tenant_id="a", request_id="r", text="ignore all"
        )
    fields = SecurityEvent(type=EventType.AUTH_FAILED, tenant_id="unknown", request_id="r").fields()
    assert json.dumps(fields)  # plain, serialisable values only


def test_limiter_metrics() -> None:
    local = LocalTelemetry()
    telemetry = GuardrailTelemetry(instruments=local.instruments)
    telemetry.limited("acme", "free", "requests")
    telemetry.limited("acme", "free", "requests")
    telemetry.budget_remaining("acme", "free", 0.25)
    telemetry.injection_score(0.6, "flag")
    assert local.points("genai_lab.requests.limited") == [
        ({"tenant.id": "acme", "tenant.tier": "free", "limit.reason": "requests"}, 2)
    ]
    assert local.points("genai_lab.tenant.budget.remaining") == [
        ({"tenant.id": "acme", "tenant.tier": "free"}, 0.25)
    ]
    ((attrs, total),) = local.points("genai_lab.guardrails.injection.score")
    assert attrs == {"guardrails.action": "flag"} and total == pytest.approx(0.6)
