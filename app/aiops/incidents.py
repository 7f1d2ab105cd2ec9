"""Incidents and how Alertmanager notifications fold into them. Pure: no I/O, no clock.

An incident is one Alertmanager group (groupKey) from its first firing notification until every
alert in it has resolved; a later firing of the same group opens a new incident. Alertmanager
retries a webhook it could not deliver and repeats unchanged groups every repeat_interval: a
notification with the same groupKey, status and alert fingerprint/status set as one already
applied changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from aiops import limits
from aiops.payload import Alert, WebhookPayload

AnalysisState = Literal["pending", "ready"]


class AlertState(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str


class Evidence(BaseModel):
    source: str  # prometheus | loki | tempo | alert | runbook
    text: str


class Summary(BaseModel):
    """What on-call reads. Every claim points at the source it came from (evidence)."""

    title: str
    likely_cause: str
    impact: str
    started: str
    deviation: str
    route: str | None = None
    route_source: str | None = None
    model: str | None = None
    model_source: str | None = None
    error_message: str | None = None
    error_message_source: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list)
    remediation_source: str = ""
    unavailable: list[str] = Field(default_factory=list)
    trace_ids: list[str] = Field(default_factory=list)
    summariser: str = "offline"
    narrative: str | None = None


class Incident(BaseModel):
    id: str
    group_key: str
    alertname: str
    status: Literal["firing", "resolved"]
    severity: str
    category: str
    receiver: str
    external_url: str
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    alerts: dict[str, AlertState] = Field(default_factory=dict)
    #: Alerts beyond limits.MAX_ALERTS_PER_INCIDENT: counted, not kept.
    alerts_dropped: int = 0
    deliveries: list[str] = Field(default_factory=list)
    #: pending while context is gathered and the summary written; ready once published.
    analysis: AnalysisState = "pending"
    revision: int = 0
    summary: Summary | None = None
    markdown: str = ""
    publications: dict[str, str] = Field(default_factory=dict)

    @property
    def started_at(self) -> datetime:
        return min(a.starts_at for a in self.alerts.values())


def delivery_key(payload: WebhookPayload) -> str:
    """Identity of one notification's content, stable across Alertmanager retries."""
    parts = [payload.groupKey, payload.status]
    parts += sorted(f"{a.fingerprint}={a.status}" for a in payload.alerts)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def incident_id(payload: WebhookPayload, first_start: datetime) -> str:
    """Readable and deterministic: a redelivery after a restart maps to the same id."""
    digest = hashlib.sha256(f"{payload.groupKey}|{first_start.isoformat()}".encode()).hexdigest()
    return f"{first_start:%Y%m%dT%H%M%SZ}-{digest[:8]}"


def _alert_state(a: Alert) -> AlertState:
    # Alertmanager sends endsAt 0001-01-01 for alerts with no end yet.
    ends = a.endsAt if a.endsAt.year > 1 else None
    return AlertState(
        fingerprint=a.fingerprint,
        status=a.status,
        labels=dict(a.labels),
        annotations=dict(a.annotations),
        starts_at=a.startsAt,
        ends_at=ends,
        generator_url=a.generatorURL,
    )


Outcome = Literal["created", "updated", "resolved", "duplicate", "ignored"]


def apply_notification(
    open_incidents: list[Incident], payload: WebhookPayload, now: datetime
) -> tuple[Incident | None, Outcome]:
    """Fold one notification into the open incident of its group, or open a new one.

    Returns the incident to store (a new object; inputs are not mutated) and what happened.
    A resolved notification for a group with no open incident is ignored: there is nothing to
    update and opening an incident that is already over would only add noise.
    """
    key = delivery_key(payload)
    current = next((i for i in open_incidents if i.group_key == payload.groupKey), None)
    if current is not None and key in current.deliveries:
        return current, "duplicate"
    if current is None:
        if payload.status == "resolved" and all(a.status == "resolved" for a in payload.alerts):
            return None, "ignored"
        first = min(a.startsAt for a in payload.alerts)
        labels = payload.commonLabels
        current = Incident(
            id=incident_id(payload, first),
            group_key=payload.groupKey,
            alertname=labels.get("alertname") or payload.alerts[0].alertname,
            status="firing",
            severity=labels.get("severity", payload.alerts[0].labels.get("severity", "unknown")),
            category=labels.get("category", payload.alerts[0].labels.get("category", "unknown")),
            receiver=payload.receiver,
            external_url=payload.externalURL,
            common_labels=dict(payload.commonLabels),
            common_annotations=dict(payload.commonAnnotations),
            created_at=now,
            updated_at=now,
        )
        outcome: Outcome = "created"
    else:
        current = current.model_copy(deep=True)
        outcome = "updated"
    for a in payload.alerts:
        if a.fingerprint in current.alerts or len(current.alerts) < limits.MAX_ALERTS_PER_INCIDENT:
            current.alerts[a.fingerprint] = _alert_state(a)
        else:
            current.alerts_dropped += 1
    # The most recent keys are the ones a retry can repeat; older ones only cost space.
    current.deliveries = [*current.deliveries, key][-limits.MAX_DELIVERIES :]
    current.updated_at = now
    current.revision += 1
    if all(a.status == "resolved" for a in current.alerts.values()):
        current.status = "resolved"
        ends = [a.ends_at for a in current.alerts.values() if a.ends_at is not None]
        current.resolved_at = max(ends) if ends else now
        outcome = "resolved"
    else:
        current.status = "firing"
        current.common_labels = dict(payload.commonLabels) or current.common_labels
        current.common_annotations = dict(payload.commonAnnotations) or current.common_annotations
    current.analysis = "pending"
    return current, outcome
