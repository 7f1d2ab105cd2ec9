"""aiops as a real uvicorn process or in process, and waiting for its incidents to be summarised."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from aiops.main import create_app
from aiops.settings import Settings
from tools.processes import RunningProcess, free_port, run_service

CLOSED = "http://127.0.0.1:{port}"
#: The bearer token run_aiops gives aiops; writes in tests send WEBHOOK_AUTH.
WEBHOOK_TOKEN = "aiops-test-webhook-token"
WEBHOOK_AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


def closed_url() -> str:
    """A loopback URL nothing listens on: a backend that is down."""
    return CLOSED.format(port=free_port())


def offline_settings(incidents_dir: Path, **overrides: Any) -> Settings:
    """aiops's settings with every backend down: summaries are written from the alert alone."""
    return Settings(
        prometheus_url=closed_url(),
        loki_url=closed_url(),
        tempo_url=closed_url(),
        incidents_dir=incidents_dir,
        backend_timeout_s=2.0,
        webhook_token=WEBHOOK_TOKEN,
        **overrides,
    )


def aiops_in_process(incidents_dir: Path, **overrides: Any) -> TestClient:
    """aiops in process (offline_settings); every request sends the webhook bearer token that
    writes need."""
    return TestClient(
        create_app(offline_settings(incidents_dir, **overrides)), headers=WEBHOOK_AUTH
    )


@contextlib.contextmanager
def run_aiops(incidents_dir: Path, **env: str) -> Iterator[RunningProcess]:
    full = {
        "INCIDENTS_DIR": str(incidents_dir),
        "PROMETHEUS_URL": closed_url(),
        "LOKI_URL": closed_url(),
        "TEMPO_URL": closed_url(),
        "AIOPS_BACKEND_TIMEOUT_S": "2",
        "OTEL_SERVICE_NAME": "aiops",
        "AIOPS_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        **env,
    }
    with run_service(full, app="aiops.main:create_app", name="aiops") as proc:
        yield proc


def wait_incident(
    aiops: str | TestClient,
    incident_id: str,
    *,
    status: str | None = None,
    timeout_s: float = 30,
) -> dict[str, Any]:
    """Poll until the incident's summary is ready (and it has the given status).

    aiops: the base URL of a running process, or a client of the app (TestClient).
    """
    client = httpx.Client(base_url=aiops, timeout=5) if isinstance(aiops, str) else aiops
    deadline = time.monotonic() + timeout_s
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/incidents/{incident_id}")
        if r.status_code == 200:
            last = r.json()
            if last["analysis"] == "ready" and (status is None or last["status"] == status):
                return last
        time.sleep(0.1)
    raise TimeoutError(f"incident {incident_id} not ready/{status}: {last}")
