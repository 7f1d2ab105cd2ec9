"""aiops's own telemetry: the shared set-up (traces, metrics, logs like the service's) plus the
counters that say whether alerts are being turned into incidents."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace

from lab_telemetry import setup
from lab_telemetry.instruments import instrument
from lab_telemetry.setup import TelemetrySettings

tracer = trace.get_tracer("aiops")

# Instruments come from the project's metric catalogue, like the service's, so names and units
# live in one file (app/lab_telemetry/catalogue.yaml).
notifications = instrument("aiops.notifications")
rejected = instrument("aiops.notifications.rejected")
backend_unreadable = instrument("aiops.backend.unreadable")
summaries = instrument("aiops.summaries")


def fastapi_telemetry(settings: TelemetrySettings) -> TelemetryConfig:
    """FastAPI's own request tracing and metrics, as the service has them."""
    return setup.fastapi_telemetry(settings)


def configure(app: FastAPI, settings: TelemetrySettings) -> None:
    """The shared set-up, so aiops exports the way the service does, as service aiops.

    Without the service's background activity: generated logs and simulated users in aiops
    would be noise in its own telemetry and, worse, extra ERROR lines in Loki.
    """
    setup.configure(app, settings)
