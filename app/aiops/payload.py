"""The Alertmanager webhook payload, version 4 (alertmanager notify/webhook/webhook.go).

Validated strictly where it matters (every documented field present and typed, version "4",
statuses from the two Alertmanager uses) but unknown extra fields are ignored: a newer
Alertmanager adding a field must not turn every notification into a 4xx and lose the alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["firing", "resolved"]


class _Strict(BaseModel):
    # Field names are Alertmanager's wire names (camelCase), kept as-is for clarity.
    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)


class Alert(_Strict):
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    startsAt: datetime
    endsAt: datetime
    generatorURL: str
    fingerprint: str = Field(min_length=1)

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "unknown")


class WebhookPayload(_Strict):
    version: Literal["4"]
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = 0
    status: Status
    receiver: str
    groupLabels: dict[str, str]
    commonLabels: dict[str, str]
    commonAnnotations: dict[str, str]
    externalURL: str
    alerts: list[Alert] = Field(min_length=1)
