"""Reading Tempo's trace-by-id answer (GET /api/v2/traces/{id}, tempopb.TraceByIDResponse).

Tempo answers 200 with an empty trace, `{"trace":{},"metrics":{}}`, for an id it has not stored
yet (modules/frontend/combiner/trace_by_id_v2.go fills in an empty Trace), so a status code
says nothing about whether the trace has arrived: only its spans do.
"""

from __future__ import annotations

from typing import Any


def span_count(body: dict[str, Any]) -> int:
    """Spans in a TraceByIDResponse: trace.resourceSpans[].scopeSpans[].spans[]."""
    trace = body.get("trace") or {}
    return sum(
        len(scope.get("spans") or [])
        for resource in trace.get("resourceSpans") or []
        for scope in resource.get("scopeSpans") or []
    )


def found_trace(status_code: int, body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The trace when Tempo has it (200 and at least one span), else None, to poll on."""
    if status_code != 200 or not body or span_count(body) == 0:
        return None
    return body
