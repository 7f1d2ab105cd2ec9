"""The whole app in-process (real routing, middleware, validation), with zero latency."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from genai_service.main import create_app
from genai_service.settings import Settings

ADMIN_TOKEN = "test-admin-token"


def make_settings(**overrides: object) -> Settings:
    base = Settings.from_env({"SIM_LATENCY_MS": "0", "SIM_TIMEOUT_S": "0"})
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_telemetry_export(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process apps share one interpreter: keep the SDK (global providers, exporters to a
    # collector that is not there) out of these behaviour tests. Telemetry has its own tests.
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(
        create_app(make_settings(admin_token=ADMIN_TOKEN)), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
