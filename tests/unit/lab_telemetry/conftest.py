"""An in-memory telemetry pipeline for in-process tests, installed by the first test that asks.

OpenTelemetry's global providers can be set once per process, and instruments bind to the
first one, so the pipeline is one per process and stays once installed. It is installed by a
fixture, never at import: installing it instruments httpx and botocore for the whole process,
and collecting this file (any `pytest -m ...` run collects every file) must not change how
other tests' HTTP clients behave; the stack tests set their own traceparent headers, which the
httpx instrumentation would replace. It goes through the same start_telemetry() as
production, with in-memory exporters in place of OTLP ones, so the redacting, drop-counting
guards are exercised exactly as in a real process.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lab_telemetry import setup


@dataclass
class Pipeline:
    telemetry: setup.Telemetry
    span_exporter: InMemorySpanExporter
    metric_reader: InMemoryMetricReader
    log_exporter: InMemoryLogRecordExporter
    stdout: io.StringIO

    def flush(self) -> None:
        self.telemetry.force_flush()

    def spans(self) -> list[Any]:
        self.flush()
        return list(self.span_exporter.get_finished_spans())

    def logs(self) -> list[Any]:
        self.flush()
        return list(self.log_exporter.get_finished_logs())

    def stdout_lines(self) -> list[dict[str, Any]]:
        self.telemetry.log_handler.flush()
        return [json.loads(line) for line in self.stdout.getvalue().splitlines() if line]

    def metrics(self) -> dict[str, Any]:
        """Metric name -> Metric, from one collection of every scope."""
        data = self.metric_reader.get_metrics_data()
        found: dict[str, Any] = {}
        if data is None:
            return found
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    found[metric.name] = metric
        return found

    def points(self, name: str, **attrs: Any) -> list[Any]:
        """Data points of a metric whose attributes include attrs (dots spelt as given)."""
        metric = self.metrics().get(name)
        if metric is None:
            return []
        return [
            p
            for p in metric.data.data_points
            if all(p.attributes.get(k) == v for k, v in attrs.items())
        ]

    def clear(self) -> None:
        self.flush()
        self.span_exporter.clear()
        self.log_exporter.clear()
        self.stdout.seek(0)
        self.stdout.truncate()


_PIPELINE: Pipeline | None = None


def _install() -> Pipeline:
    global _PIPELINE
    if _PIPELINE is not None:
        return _PIPELINE
    existing = setup.current()
    if existing is not None and existing.tracer_provider is None:
        # An SDK-disabled pipeline (OTEL_SDK_DISABLED in an earlier behaviour test) sets no
        # global provider; ours can take its place.
        setup.shutdown()
    elif existing is not None:
        pytest.fail(
            "another telemetry pipeline was installed before the in-memory one; in-process "
            "telemetry tests need theirs to be the process's first"
        )
    spans = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    logs = InMemoryLogRecordExporter()
    stream = io.StringIO()
    telemetry = setup.start_telemetry(
        None,
        span_exporters=[spans],
        metric_readers=[reader],
        log_exporters=[logs],
        log_stream=stream,
    )
    setup._telemetry = telemetry
    _PIPELINE = Pipeline(telemetry, spans, reader, logs, stream)
    return _PIPELINE


@pytest.fixture(autouse=True)
def in_memory_telemetry() -> Pipeline:
    """Every test here runs with the in-memory pipeline as the process's pipeline, so apps they
    build (configure() reuses the current pipeline) never export over the network."""
    pipeline = _install()
    if setup.current() is not pipeline.telemetry:
        pytest.fail("the in-memory telemetry pipeline was replaced by another one")
    return pipeline


@pytest.fixture
def pipeline(in_memory_telemetry: Pipeline) -> Iterator[Pipeline]:
    in_memory_telemetry.clear()
    yield in_memory_telemetry
