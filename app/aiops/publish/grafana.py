"""Grafana annotations on the affected dashboard (Grafana HTTP API, POST /api/annotations).

Firing: a region annotation starting at the alert's start. Resolved: the same annotation gets
its timeEnd (PATCH /api/annotations/:id) so the dashboard shows how long it lasted.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from aiops.incidents import Incident
from aiops.render import short_text
from aiops.settings import Settings


def auth_headers(settings: Settings) -> dict[str, str]:
    if settings.grafana_token:
        return {"Authorization": f"Bearer {settings.grafana_token}"}
    if settings.grafana_token_file:
        # Read per publication: the start-up step (aiops.grafana_token) rotates it on restart.
        token = Path(settings.grafana_token_file).read_text(encoding="utf-8").strip()
        return {"Authorization": f"Bearer {token}"}
    if settings.grafana_user:
        raw = f"{settings.grafana_user}:{settings.grafana_password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return {}


def annotation_body(incident: Incident) -> dict[str, Any]:
    body: dict[str, Any] = {
        "time": int(incident.started_at.timestamp() * 1000),
        "tags": ["aiops", incident.alertname, incident.severity, incident.category],
        "text": short_text(incident),
    }
    if incident.resolved_at is not None:
        body["timeEnd"] = int(incident.resolved_at.timestamp() * 1000)
    dashboard = incident.common_annotations.get("dashboard")
    if dashboard:
        # Without a dashboard the annotation is organisation-wide: still visible, less precise.
        body["dashboardUID"] = dashboard
    return body


async def publish(client: httpx.AsyncClient, settings: Settings, incident: Incident) -> str:
    """Create or update the incident's annotation; returns its id."""
    headers = auth_headers(settings)
    body = annotation_body(incident)
    existing = incident.publications.get("grafana_annotation_id")
    if existing:
        r = await client.patch(
            f"{settings.grafana_url}/api/annotations/{existing}", json=body, headers=headers
        )
        r.raise_for_status()
        return existing
    r = await client.post(f"{settings.grafana_url}/api/annotations", json=body, headers=headers)
    r.raise_for_status()
    return str(r.json()["id"])
