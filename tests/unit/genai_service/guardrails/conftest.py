"""The in-memory telemetry pipeline of tests/app/telemetry, shared so guardrail tests see exactly
what the service's real pipeline exports (stdout JSON, OTLP logs, spans, metrics)."""

from tests.app.telemetry.conftest import pipeline  # noqa: F401  (a fixture)
