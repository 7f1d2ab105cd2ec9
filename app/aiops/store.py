"""Where incidents live: on the incidents volume, with an index and a few records in memory.

Each incident is kept as <id>.json (the full state) and <id>.md (the record on-call reads).
Writes go through a temporary file and a rename so a crash never leaves half a record behind.

Loaded lazily: at start only the index is built (one listing row per incident, read one file
at a time; a file over limits.MAX_RECORD_BYTES is skipped and logged, never read), and full
records are read when asked for and kept in a cache bounded in bytes. So memory does not grow
with the store, and no record can keep aiops from starting.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from aiops import limits
from aiops.files import write_atomic
from aiops.incidents import Incident, Outcome, apply_notification
from aiops.payload import WebhookPayload

log = structlog.get_logger("aiops.store")


def listing(incident: Incident) -> dict[str, Any]:
    """An incident's row in GET /incidents: everything but the alerts, deliveries and text."""
    data = incident.model_dump(mode="json", exclude={"markdown", "deliveries", "alerts"})
    data["alert_count"] = len(incident.alerts)
    return data


class IncidentStore:
    def __init__(
        self,
        directory: Path,
        *,
        cache_bytes: int = limits.CACHE_BYTES,
        max_record_bytes: int = limits.MAX_RECORD_BYTES,
    ) -> None:
        self.directory = directory
        self.cache_bytes = cache_bytes
        self.max_record_bytes = max_record_bytes
        # id -> (created_at, listing row); the row has group_key, status and analysis.
        self._index: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self._cache: OrderedDict[str, tuple[Incident, int]] = OrderedDict()
        self._cached_bytes = 0
        self._lock = asyncio.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load_index()

    def _read(self, path: Path) -> Incident | None:
        try:
            size = path.stat().st_size
            if size > self.max_record_bytes:
                log.warning(
                    "incident_record_too_large",
                    path=str(path),
                    bytes=size,
                    limit=self.max_record_bytes,
                )
                return None
            return Incident.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            # One corrupt record must not keep the service from starting.
            log.warning("incident_record_unreadable", path=str(path), error=str(exc)[:200])
            return None

    def _load_index(self) -> None:
        for path in sorted(self.directory.glob("*.json")):
            incident = self._read(path)
            if incident is not None:
                self._index[incident.id] = (incident.created_at, listing(incident))

    def _remember(self, incident: Incident, size: int) -> None:
        old = self._cache.pop(incident.id, None)
        if old is not None:
            self._cached_bytes -= old[1]
        self._cache[incident.id] = (incident, size)
        self._cached_bytes += size
        while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._cached_bytes -= dropped

    def __len__(self) -> int:
        return len(self._index)

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Listing rows, newest first, without reading any record."""
        ordered = sorted(self._index.values(), key=lambda e: e[0], reverse=True)
        return [row for _, row in ordered[:limit]]

    def ids(self, **match: str) -> list[str]:
        """Ids of incidents whose listing row has these values (e.g. analysis="pending")."""
        return [
            i
            for i, (_, row) in self._index.items()
            if all(row.get(k) == v for k, v in match.items())
        ]

    def list(self) -> list[Incident]:
        """Every incident, newest first. Reads each record: prefer rows() for listings."""
        found = (self.get(str(row["id"])) for row in self.rows())
        return [i for i in found if i is not None]

    def get(self, incident_id: str) -> Incident | None:
        if incident_id not in self._index:
            return None
        cached = self._cache.get(incident_id)
        if cached is not None:
            self._cache.move_to_end(incident_id)
            return cached[0]
        path = self.directory / f"{incident_id}.json"
        incident = self._read(path)
        if incident is not None:
            self._remember(incident, path.stat().st_size)
        return incident

    async def apply(
        self, payload: WebhookPayload, now: datetime
    ) -> tuple[Incident | None, Outcome]:
        async with self._lock:
            found = (self.get(i) for i in self.ids(group_key=payload.groupKey, status="firing"))
            open_ = [i for i in found if i is not None]
            incident, outcome = apply_notification(open_, payload, now)
            if incident is not None and outcome != "duplicate":
                self._save(incident)
            return incident, outcome

    async def update(self, incident: Incident) -> Incident:
        """Store a processed incident unless a newer notification arrived meanwhile."""
        async with self._lock:
            latest = self.get(incident.id)
            if latest is not None and latest.revision > incident.revision:
                # Keep the newer alert state; the next processing run will summarise it.
                merged = latest.model_copy(
                    update={
                        "summary": incident.summary,
                        "markdown": incident.markdown,
                        "publications": {**latest.publications, **incident.publications},
                    }
                )
                self._save(merged)
                return merged
            self._save(incident)
            return incident

    def _save(self, incident: Incident) -> None:
        text = incident.model_dump_json(indent=2)
        write_atomic(self.directory / f"{incident.id}.json", text)
        self._index[incident.id] = (incident.created_at, listing(incident))
        self._remember(incident, len(text))
        if incident.markdown:
            write_atomic(self.directory / f"{incident.id}.md", incident.markdown)
