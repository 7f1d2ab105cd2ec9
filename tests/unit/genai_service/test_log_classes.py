"""Retention classes on log records, as both sinks (stdout JSON and OTLP) carry them."""

from __future__ import annotations

import logging

import pytest
import structlog

from genai_service import log_classes
from tests.unit.lab_telemetry.conftest import (
    Pipeline,
    pipeline,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.unit


def classes(p: Pipeline) -> dict[str, str | None]:
    return {line["message"]: line.get(log_classes.ATTRIBUTE) for line in p.stdout_lines()}


def test_loggers_and_levels_map_to_retention_classes(pipeline: Pipeline) -> None:  # noqa: F811
    log_classes.install()
    log_classes.install()  # idempotent
    root = logging.getLogger()
    handler = next(h for h in root.handlers if isinstance(h, log_classes_handler_type()))
    assert sum(isinstance(f, log_classes.LogClassFilter) for f in handler.filters) == 1
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        structlog.get_logger("genai_service.security").warning("security_event")
        structlog.get_logger("genai_service.call_record").info("genai_lab.call")
        structlog.get_logger("genai_service.api.admin_routes").warning("faults replaced")
        structlog.get_logger("genai_service.orchestrator").debug("a debug line")
        structlog.get_logger("genai_service.orchestrator").info("an ordinary line")
    finally:
        root.setLevel(old)
    assert classes(pipeline) == {
        "security_event": "audit",
        "genai_lab.call": "call",
        "faults replaced": "audit",
        "a debug line": "debug",
        "an ordinary line": None,
    }
    otlp = {
        log.log_record.body: (log.log_record.attributes or {}).get(log_classes.ATTRIBUTE)
        for log in pipeline.logs()
    }
    assert otlp["security_event"] == "audit" and otlp["an ordinary line"] is None


def log_classes_handler_type() -> type:
    from lab_telemetry.logs import TelemetryLogHandler

    return TelemetryLogHandler


def test_admin_changes_in_the_app_are_audit_records(pipeline: Pipeline, monkeypatch) -> None:  # noqa: F811
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from genai_service.main import create_app
    from genai_service.settings import Settings

    settings = replace(Settings.from_env({"SIM_LATENCY_MS": "0"}), admin_token="t-audit-123")
    with TestClient(create_app(settings)) as client:
        pipeline.clear()
        put = client.put(
            "/admin/faults", json={"outage": True}, headers={"Authorization": "Bearer t-audit-123"}
        )
        assert put.status_code == 200
    assert classes(pipeline)["faults replaced"] == "audit"
