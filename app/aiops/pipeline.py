"""From a stored incident to a published summary: gather, summarise, render, publish.

Runs in the background after the webhook has answered, one run at a time per incident; a
notification that arrives mid-run bumps the revision and triggers another run, so the last
word is always about the latest alert state. `analysis` turns "ready" only when the stored
summary matches the latest revision, which is what callers (and tests) wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import structlog

from aiops import render, telemetry
from aiops.gather.collect import gather
from aiops.incidents import Incident
from aiops.publish import grafana, slack
from aiops.settings import Settings
from aiops.store import IncidentStore
from aiops.summarise import offline, runbook
from aiops.summarise.bedrock import BedrockSummariser

log = structlog.get_logger("aiops.pipeline")


def _now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: IncidentStore,
        client: httpx.AsyncClient,
        bedrock: BedrockSummariser | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.bedrock = bedrock
        self.clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def submit(self, incident_id: str) -> None:
        if incident_id in self._running:
            self._again.add(incident_id)
            return
        self._running[incident_id] = asyncio.create_task(self._loop(incident_id))

    async def _loop(self, incident_id: str) -> None:
        try:
            while True:
                self._again.discard(incident_id)
                incident = self.store.get(incident_id)
                if incident is not None:
                    try:
                        await self.process(incident)
                    except Exception:
                        log.exception("incident_processing_failed", incident=incident_id)
                if incident_id not in self._again:
                    break
        finally:
            self._running.pop(incident_id, None)

    async def drain(self) -> None:
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def process(self, incident: Incident) -> Incident:
        with telemetry.tracer.start_as_current_span("aiops.process_incident") as span:
            span.set_attribute("aiops.incident.id", incident.id)
            span.set_attribute("aiops.alertname", incident.alertname)
            span.set_attribute("aiops.incident.status", incident.status)
            ctx = await gather(incident, self.settings, self.client, self.clock())
            for line in ctx.unavailable:
                telemetry.backend_unreadable.add(1, {"backend": line.split(" ", 1)[0]})
            url = incident.common_annotations.get("runbook_url")
            book = runbook.load(self.settings.runbooks_dir, incident.alertname, url)
            summary = offline.summarise(incident, ctx, book)
            if self.bedrock is not None:
                summary = await self.bedrock.summarise(incident, ctx, summary)
            telemetry.summaries.add(1, {"summariser": summary.summariser.split(" ", 1)[0]})
            done = incident.model_copy(update={"summary": summary})
            done = await self._publish(done)
            done.markdown = render.markdown(done)
            done.analysis = "ready"
            stored = await self.store.update(done)
            log.info(
                "incident_summarised",
                incident=incident.id,
                alertname=incident.alertname,
                status=incident.status,
                likely_cause=summary.likely_cause,
                unavailable=len(summary.unavailable),
            )
            return stored

    async def _publish(self, incident: Incident) -> Incident:
        pubs = dict(incident.publications)
        if self.settings.grafana_url:
            try:
                pubs["grafana_annotation_id"] = await grafana.publish(
                    self.client, self.settings, incident
                )
                pubs.pop("grafana_error", None)
            except Exception as exc:  # a missing Grafana must not lose the incident record
                pubs["grafana_error"] = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("grafana_annotation_failed", error=pubs["grafana_error"])
        if self.settings.slack_webhook_url:
            try:
                await slack.publish(self.client, self.settings.slack_webhook_url, incident)
                pubs[f"slack_{incident.status}"] = self.clock().isoformat()
                pubs.pop("slack_error", None)
            except Exception as exc:
                pubs["slack_error"] = f"{type(exc).__name__}: {exc}"[:200]
                log.warning("slack_webhook_failed", error=pubs["slack_error"])
        return incident.model_copy(update={"publications": pubs})
