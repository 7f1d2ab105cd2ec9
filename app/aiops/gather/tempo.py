"""Tempo context: failed and slowest traces of the watched service in the alert window.

Response shape: grafana/tempo docs/sources/tempo/api_docs/_index.md, "Search" (traces[] with
traceID, rootServiceName, rootTraceName, startTimeUnixNano, durationMs). durationMs is left
out for traces under a millisecond (protobuf JSON omits zero values), so it is optional here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from aiops.context import TraceHit


def error_traces_query(service: str) -> str:
    return f'{{ resource.service.name = "{service}" && status = error }}'


def all_traces_query(service: str) -> str:
    return f'{{ resource.service.name = "{service}" }}'


def parse_search(body: dict[str, Any], *, error: bool) -> list[TraceHit]:
    hits = []
    for t in body.get("traces") or []:
        start_ns = t.get("startTimeUnixNano")
        hits.append(
            TraceHit(
                trace_id=t["traceID"],
                root_service=t.get("rootServiceName"),
                root_name=t.get("rootTraceName"),
                start=datetime.fromtimestamp(int(start_ns) / 1e9, UTC) if start_ns else None,
                duration_ms=float(t["durationMs"]) if "durationMs" in t else None,
                error=error,
            )
        )
    return hits


def merge(errors: list[TraceHit], others: list[TraceHit], keep: int = 10) -> list[TraceHit]:
    """Failed traces first, then the slowest of the rest; each trace once."""
    seen = {h.trace_id for h in errors}
    slow = sorted(
        (h for h in others if h.trace_id not in seen),
        key=lambda h: h.duration_ms or 0.0,
        reverse=True,
    )
    ranked = sorted(errors, key=lambda h: h.duration_ms or 0.0, reverse=True) + slow
    return ranked[:keep]


async def search(
    client: httpx.AsyncClient, base_url: str, query: str, start: datetime, end: datetime
) -> dict[str, Any]:
    r = await client.get(
        f"{base_url}/api/search",
        params={
            "q": query,
            "start": str(int(start.timestamp())),
            "end": str(int(end.timestamp()) + 1),
            "limit": "20",
        },
    )
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


async def notable_traces(
    client: httpx.AsyncClient, base_url: str, service: str, start: datetime, end: datetime
) -> list[TraceHit]:
    errors = parse_search(
        await search(client, base_url, error_traces_query(service), start, end), error=True
    )
    others = parse_search(
        await search(client, base_url, all_traces_query(service), start, end), error=False
    )
    return merge(errors, others)
