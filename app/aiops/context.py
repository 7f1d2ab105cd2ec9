"""What the gatherers bring back: plain data the summarisers reason over, with no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SeriesStats(BaseModel):
    """One series of a range query, split at the alert's start into normal and alert window."""

    labels: dict[str, str]
    baseline: float | None = None  # mean before the alert started
    window: float | None = None  # mean from the alert start to the end of the window
    peak: float | None = None  # max inside the window
    latest: float | None = None
    first_nonzero: datetime | None = None  # first window point above zero


class QueryResult(BaseModel):
    name: str  # alert_expr | error_rate | p95_latency | cost_rate | exceptions | provider_errors
    query: str
    series: list[SeriesStats] = Field(default_factory=list)


class LogEntry(BaseModel):
    time: datetime
    message: str
    level: str | None = None
    route: str | None = None
    model: str | None = None
    exception_type: str | None = None
    trace_id: str | None = None


class TraceHit(BaseModel):
    trace_id: str
    root_service: str | None = None
    root_name: str | None = None
    start: datetime | None = None
    duration_ms: float | None = None
    error: bool = False


class Gathered(BaseModel):
    window_start: datetime
    alert_start: datetime
    window_end: datetime
    alert_expr: str | None = None
    #: "> 2" when the alert compares its query to a constant; the query is gathered without it.
    alert_threshold: str | None = None
    prometheus: list[QueryResult] = Field(default_factory=list)
    logs: list[LogEntry] = Field(default_factory=list)
    traces: list[TraceHit] = Field(default_factory=list)
    #: What could not be read, and why: "loki (http://loki:3100): ConnectError ...".
    unavailable: list[str] = Field(default_factory=list)

    def query(self, name: str) -> QueryResult | None:
        return next((q for q in self.prometheus if q.name == name), None)
