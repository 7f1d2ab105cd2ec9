"""Security events: one schema for every guard, logged through structlog and counted.

An event says what happened (type), how bad it is (severity), what the service did (action),
to whom (tenant) and in which request (request id), plus a few typed, low-cardinality details
(a reason, an injection score and signal names, PII counts by type, a Retry-After). There is
deliberately no free-text field: the offending prompt, the key, or a PII value cannot end up in
an event because the schema has nowhere to put them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import structlog
from opentelemetry import trace


class EventType(StrEnum):
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    BUDGET_EXCEEDED = "budget_exceeded"
    INJECTION_FLAGGED = "injection_flagged"
    INJECTION_BLOCKED = "injection_blocked"
    PII_DETECTED = "pii_detected"
    # A delegating (platform) key acted for another tenant: both identities are recorded.
    TENANT_DELEGATED = "tenant_delegated"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ActionTaken(StrEnum):
    REJECTED = "rejected"  # 401
    THROTTLED = "throttled"  # 429
    BLOCKED = "blocked"  # 400
    FLAGGED = "flagged"  # served, marked for review
    OBSERVED = "observed"  # served, counted


_DEFAULTS: dict[EventType, tuple[Severity, ActionTaken]] = {
    EventType.AUTH_FAILED: (Severity.WARNING, ActionTaken.REJECTED),
    EventType.RATE_LIMITED: (Severity.INFO, ActionTaken.THROTTLED),
    EventType.BUDGET_EXCEEDED: (Severity.WARNING, ActionTaken.THROTTLED),
    EventType.INJECTION_FLAGGED: (Severity.WARNING, ActionTaken.FLAGGED),
    EventType.INJECTION_BLOCKED: (Severity.CRITICAL, ActionTaken.BLOCKED),
    EventType.PII_DETECTED: (Severity.INFO, ActionTaken.OBSERVED),
    EventType.TENANT_DELEGATED: (Severity.INFO, ActionTaken.OBSERVED),
}

# Auth failures are not attributed: naming a tenant would say which tenants exist.
UNKNOWN_TENANT = "unknown"


@dataclass(frozen=True)
class SecurityEvent:
    type: EventType
    tenant_id: str
    request_id: str
    reason: str | None = None
    score: float | None = None
    signals: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    retry_after_s: int | None = None
    # For delegation: the tenant of the key that made the call (tenant_id is the one it named).
    principal_tenant: str | None = None
    severity: Severity | None = None
    action: ActionTaken | None = None

    @property
    def resolved_severity(self) -> Severity:
        return self.severity or _DEFAULTS[self.type][0]

    @property
    def resolved_action(self) -> ActionTaken:
        return self.action or _DEFAULTS[self.type][1]

    def fields(self) -> dict[str, Any]:
        """The event as flat log fields (and span event attributes)."""
        out: dict[str, Any] = {
            "event_type": str(self.type),
            "severity": str(self.resolved_severity),
            "action": str(self.resolved_action),
            "tenant_id": self.tenant_id,
            "request_id": self.request_id,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        if self.score is not None:
            out["injection_score"] = self.score
        if self.signals:
            out["injection_signals"] = list(self.signals)
        if self.counts:
            out["pii_counts"] = dict(sorted(self.counts.items()))
            out["pii_total"] = sum(self.counts.values())
        if self.retry_after_s is not None:
            out["retry_after_s"] = self.retry_after_s
        if self.principal_tenant is not None:
            out["principal_tenant"] = self.principal_tenant
        return out


_LOG_METHOD = {Severity.INFO: "info", Severity.WARNING: "warning", Severity.CRITICAL: "error"}

EVENTS_METRIC = "genai_lab.security.events"
PII_METRIC = "genai_lab.security.pii.detections"
LIMITED_METRIC = "genai_lab.requests.limited"
BUDGET_METRIC = "genai_lab.tenant.budget.remaining"
SCORE_METRIC = "genai_lab.guardrails.injection.score"


def _catalogued(name: str) -> Any:
    from lab_telemetry.instruments import instrument

    return instrument(name)


class GuardrailTelemetry:
    """Where guardrail signals go: security events to logs, span events and counters; limiter
    state and injection scores to metrics.

    Instruments are looked up by catalogue name; tests pass their own `instruments` lookup
    (an SDK meter with an in-memory reader) instead of the global one.
    """

    def __init__(
        self,
        *,
        logger: Any = None,
        instruments: Callable[[str], Any] = _catalogued,
    ) -> None:
        self._log = logger if logger is not None else structlog.get_logger("genai_service.security")
        self._instrument = instruments

    def emit(self, event: SecurityEvent) -> None:
        fields = event.fields()
        getattr(self._log, _LOG_METHOD[event.resolved_severity])("security_event", **fields)
        self._instrument(EVENTS_METRIC).add(
            1,
            {
                "event.type": str(event.type),
                "severity": str(event.resolved_severity),
                "action": str(event.resolved_action),
                "tenant.id": event.tenant_id,
            },
        )
        for pii_type, count in event.counts.items():
            if count > 0:
                self._instrument(PII_METRIC).add(
                    count, {"pii.type": pii_type, "tenant.id": event.tenant_id}
                )
        span = trace.get_current_span()
        if span.is_recording():
            attrs = {
                f"genai_lab.security.{k}": (v if not isinstance(v, dict) else sum(v.values()))
                for k, v in fields.items()
            }
            span.add_event("security_event", attrs)

    def limited(self, tenant_id: str, tier: str, reason: str) -> None:
        self._instrument(LIMITED_METRIC).add(
            1, {"tenant.id": tenant_id, "tenant.tier": tier, "limit.reason": reason}
        )

    def budget_remaining(self, tenant_id: str, tier: str, usd: float) -> None:
        self._instrument(BUDGET_METRIC).set(usd, {"tenant.id": tenant_id, "tenant.tier": tier})

    def injection_score(self, score: float, action: str) -> None:
        self._instrument(SCORE_METRIC).record(score, {"guardrails.action": action})
