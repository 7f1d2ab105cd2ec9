"""Loki context: recent ERROR logs of the watched service, with their trace ids.

Response shape: grafana/loki docs/sources/reference/loki-http-api.md, "Query logs within a range
of time" (resultType streams, values of [<ns timestamp string>, <line>]). Structured metadata,
where OTLP logs keep severity_text, trace_id and the log attributes, "is extracted
automatically for each returned log line and added to the labels returned for the query"
(docs/sources/get-started/labels/structured-metadata.md), so it arrives in `stream`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from aiops import limits
from aiops.context import LogEntry

ERROR_LEVELS = "(?i)(error|fatal|critical)"


def error_logs_query(service: str) -> str:
    # detected_level is Loki's own level discovery; severity_text comes from OTLP. Either may be
    # missing depending on the ingestion path, so accept both.
    return (
        f'{{service_name="{service}"}} '
        f'| detected_level=~"{ERROR_LEVELS}" or severity_text=~"{ERROR_LEVELS}"'
    )


def _first(labels: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = labels.get(k)
        if v not in (None, ""):
            return str(v)
    return None


def parse_entry(stream: dict[str, str], ts_ns: str, line: str) -> LogEntry:
    fields: dict[str, Any] = dict(stream)
    message = line
    # structlog's JSON renderer (stdout, or a body that kept JSON) puts the text under "event".
    if line.startswith("{"):
        try:
            parsed = json.loads(line)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields = {**parsed, **fields}
            message = str(_first(parsed, "event", "message", "msg") or line)
    detail = _first(fields, "exception_message", "exception.message", "error_message", "error")
    if detail and detail not in message:
        message = f"{message}: {detail}"
    return LogEntry(
        time=datetime.fromtimestamp(int(ts_ns) / 1e9, UTC),
        # The message is quoted in the stored summary: a log line can be as long as Loki takes.
        message=message.strip()[: limits.MAX_EVIDENCE_TEXT],
        level=_first(fields, "detected_level", "severity_text", "level"),
        route=_first(fields, "http_route", "http.route", "route"),
        model=_first(fields, "gen_ai_request_model", "gen_ai.request.model", "model"),
        exception_type=_first(fields, "exception_type", "exception.type"),
        trace_id=_first(fields, "trace_id", "traceid", "traceID"),
    )


def parse_streams(body: dict[str, Any]) -> list[LogEntry]:
    if body.get("status") != "success":
        raise ValueError(f"loki answered {body.get('status')}")
    data = body["data"]
    if data.get("resultType") != "streams":
        raise ValueError(f"expected streams, got {data.get('resultType')}")
    entries = [
        parse_entry(item.get("stream", {}), value[0], value[1])
        for item in data["result"]
        for value in item["values"]
    ]
    return sorted(entries, key=lambda e: e.time, reverse=True)


async def error_logs(
    client: httpx.AsyncClient, base_url: str, service: str, start: datetime, end: datetime
) -> tuple[str, list[LogEntry]]:
    query = error_logs_query(service)
    r = await client.get(
        f"{base_url}/loki/api/v1/query_range",
        params={
            "query": query,
            "start": str(int(start.timestamp() * 1e9)),
            "end": str(int(end.timestamp() * 1e9)),
            "limit": "100",
            "direction": "backward",
        },
    )
    r.raise_for_status()
    return query, parse_streams(r.json())
