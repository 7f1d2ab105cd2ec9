"""Slack-compatible incoming webhook: a JSON body with `text` (Slack, Mattermost, Rocket.Chat)."""

from __future__ import annotations

from typing import Any

import httpx

from aiops.incidents import Incident
from aiops.render import short_text


def message(incident: Incident) -> dict[str, Any]:
    return {"text": short_text(incident)}


async def publish(client: httpx.AsyncClient, url: str, incident: Incident) -> None:
    r = await client.post(url, json=message(incident))
    r.raise_for_status()
