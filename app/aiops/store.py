"""Where incidents live: in memory for the API, and on the incidents volume across restarts.

Each incident is kept as <id>.json (the full state, reloaded at start) and <id>.md (the record
on-call reads). Writes go through a temporary file and a rename so a crash never leaves half a
record behind.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime
from pathlib import Path

import structlog

from aiops.incidents import Incident, Outcome, apply_notification
from aiops.payload import WebhookPayload

log = structlog.get_logger("aiops.store")


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class IncidentStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._incidents: dict[str, Incident] = {}
        self._lock = asyncio.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        for path in sorted(self.directory.glob("*.json")):
            try:
                incident = Incident.model_validate_json(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                # One corrupt record must not keep the service from starting.
                log.warning("incident_record_unreadable", path=str(path), error=str(exc))
                continue
            self._incidents[incident.id] = incident

    def list(self) -> list[Incident]:
        return sorted(self._incidents.values(), key=lambda i: i.created_at, reverse=True)

    def get(self, incident_id: str) -> Incident | None:
        return self._incidents.get(incident_id)

    async def apply(
        self, payload: WebhookPayload, now: datetime
    ) -> tuple[Incident | None, Outcome]:
        async with self._lock:
            open_ = [i for i in self._incidents.values() if i.status == "firing"]
            incident, outcome = apply_notification(open_, payload, now)
            if incident is not None and outcome != "duplicate":
                self._save(incident)
            return incident, outcome

    async def update(self, incident: Incident) -> Incident:
        """Store a processed incident unless a newer notification arrived meanwhile."""
        async with self._lock:
            latest = self._incidents.get(incident.id)
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
        self._incidents[incident.id] = incident
        _atomic_write(self.directory / f"{incident.id}.json", incident.model_dump_json(indent=2))
        if incident.markdown:
            _atomic_write(self.directory / f"{incident.id}.md", incident.markdown)
