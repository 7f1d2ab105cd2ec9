"""The in-memory telemetry pipeline of tests/unit/lab_telemetry, shared so the service's tests see
exactly what its real pipeline exports (stdout JSON, OTLP logs, spans, metrics)."""

from tests.unit.lab_telemetry.conftest import in_memory_telemetry, pipeline  # noqa: F401  (fixtures)
