"""The Alertmanager webhook payload, version 4 (alertmanager notify/webhook/webhook.go).

Validated strictly where it matters (every documented field present and typed, version "4",
statuses from the two Alertmanager uses) but unknown extra fields are ignored: a newer
Alertmanager adding a field must not turn every notification into a 4xx and lose the alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from aiops import limits

Status = Literal["firing", "resolved"]
_Name = Annotated[str, StringConstraints(max_length=limits.MAX_NAME)]
Labels = Annotated[
    dict[_Name, Annotated[str, StringConstraints(max_length=limits.MAX_LABEL_VALUE)]],
    Field(max_length=limits.MAX_LABELS),
]
Annotations = Annotated[
    dict[_Name, Annotated[str, StringConstraints(max_length=limits.MAX_ANNOTATION_VALUE)]],
    Field(max_length=limits.MAX_ANNOTATIONS),
]
Url = Annotated[str, StringConstraints(max_length=limits.MAX_URL)]
Short = Annotated[str, StringConstraints(max_length=limits.MAX_SHORT)]


def _in_range(value: datetime) -> bool:
    return limits.MIN_YEAR <= value.year <= limits.MAX_YEAR


class _Strict(BaseModel):
    # Field names are Alertmanager's wire names (camelCase), kept as-is for clarity.
    model_config = ConfigDict(extra="ignore", strict=False, frozen=True)


class Alert(_Strict):
    status: Status
    labels: Labels
    annotations: Annotations
    startsAt: datetime
    endsAt: datetime
    generatorURL: Url
    fingerprint: Short = Field(min_length=1)

    @field_validator("startsAt")
    @classmethod
    def _starts_in_range(cls, value: datetime) -> datetime:
        if not _in_range(value):
            raise ValueError(f"must be between the years {limits.MIN_YEAR} and {limits.MAX_YEAR}")
        return value

    @field_validator("endsAt")
    @classmethod
    def _ends_in_range(cls, value: datetime) -> datetime:
        # Year 1 is Alertmanager's "no end yet"; anything else must be a real time.
        if value.year != 1 and not _in_range(value):
            raise ValueError(
                f"must be year 1 (no end) or between {limits.MIN_YEAR} and {limits.MAX_YEAR}"
            )
        return value

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "unknown")


class WebhookPayload(_Strict):
    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=limits.MAX_GROUP_KEY)
    truncatedAlerts: int = 0
    status: Status
    receiver: Short
    groupLabels: Labels
    commonLabels: Labels
    commonAnnotations: Annotations
    externalURL: Url
    alerts: list[Alert] = Field(min_length=1, max_length=limits.MAX_ALERTS)
