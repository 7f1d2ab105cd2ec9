"""The export guards: redaction of what leaves the process, and counting of what is dropped."""

from __future__ import annotations

import logging
import threading

import pytest
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from lab_telemetry.drops import DropCounter, ExportNoiseFilter, install_sdk_queue_filter
from lab_telemetry.exporters import GuardedMetricExporter, GuardedSpanExporter

pytestmark = pytest.mark.unit


class FailingExporter(SpanExporter):
    def export(self, spans):
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


class RaisingExporter(FailingExporter):
    def export(self, spans):
        raise ConnectionError("collector unreachable")


class BlockingExporter(FailingExporter):
    """Holds the batch worker until released: a collector that does not answer."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def export(self, spans):
        self.release.wait(10)
        return SpanExportResult.SUCCESS


def test_spans_are_exported_redacted_everywhere_text_can_hide() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(GuardedSpanExporter(memory, DropCounter())))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("lookup gina@example.com") as span:
        span.set_attribute("url.query", "email=gina@example.com&card=4111111111111111")
        span.set_attribute("tags", ["ok", "203.0.113.5"])
        span.set_attribute("count", 3)
        span.add_event("note", {"detail": "ssn 123-45-6789"})
        span.set_status(Status(StatusCode.ERROR, "bad key AKIAIOSFODNN7EXAMPLE"))
    with tracer.start_as_current_span("clean") as clean:
        clean.set_attribute("http.route", "/v1/chat/completions")

    exported = {s.name: s for s in memory.get_finished_spans()}
    dirty = exported["lookup [REDACTED:email]"]
    text = repr((dirty.name, dict(dirty.attributes), [dict(e.attributes) for e in dirty.events]))
    text += dirty.status.description or ""
    for secret in ("gina@example.com", "4111111111111111", "203.0.113.5", "123-45-6789", "AKIA"):
        assert secret not in text
    assert dirty.attributes["count"] == 3
    assert dirty.context == span.get_span_context()
    assert dirty.status.status_code is StatusCode.ERROR
    # A span with nothing to redact is passed through as the same object (no copy cost).
    assert exported["clean"].attributes["http.route"] == "/v1/chat/completions"


@pytest.mark.parametrize("inner", [FailingExporter(), RaisingExporter()])
def test_failed_exports_are_counted_not_raised(inner, pipeline) -> None:
    drops = DropCounter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(GuardedSpanExporter(inner, drops)))
    for _ in range(3):
        with provider.get_tracer("t").start_as_current_span("s"):
            pass
    assert drops.totals() == {("traces", "export_failed"): 3}
    counted = pipeline.points(
        "genai_lab.telemetry.dropped",
        **{"telemetry.signal": "traces", "drop.reason": "export_failed"},
    )
    assert counted and counted[0].value >= 3


def test_failed_metric_export_counts_data_points() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    class Down(MetricExporter):
        def export(self, metrics_data, timeout_millis: float = 10_000, **kwargs):
            return MetricExportResult.FAILURE

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs) -> None:
            pass

    drops = DropCounter()
    reader = PeriodicExportingMetricReader(
        GuardedMetricExporter(Down(), drops), export_interval_millis=3_600_000
    )
    provider = MeterProvider(metric_readers=[reader])
    counter = provider.get_meter("t").create_counter("c")
    counter.add(1, {"k": "a"})
    counter.add(1, {"k": "b"})
    provider.force_flush()
    provider.shutdown()
    assert drops.totals()[("metrics", "export_failed")] >= 2


def test_full_queue_drops_are_counted_and_not_logged_per_span(caplog) -> None:
    drops = DropCounter()
    undo = install_sdk_queue_filter(drops)
    blocking = BlockingExporter()
    provider = TracerProvider()
    processor = BatchSpanProcessor(
        GuardedSpanExporter(blocking, drops),
        max_queue_size=4,
        max_export_batch_size=1,
        schedule_delay_millis=1,
    )
    provider.add_span_processor(processor)
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(50):
                with provider.get_tracer("t").start_as_current_span("s"):
                    pass
        dropped = drops.totals().get(("traces", "queue_full"), 0)
        assert dropped >= 40  # a queue of 4 (+1 in the worker) holds the rest
        assert not [r for r in caplog.records if "Queue full" in r.getMessage()]
    finally:
        blocking.release.set()
        provider.shutdown()
        undo()


def test_report_says_once_per_interval_what_was_dropped(caplog) -> None:
    drops = DropCounter(report_interval_s=3600)
    drops.add("logs", "queue_full", 5)
    drops.add("logs", "queue_full", 2)
    drops.add("traces", "export_failed", 1)
    drops.note_error("Failed to export span batch to localhost:4317")
    with caplog.at_level(logging.WARNING, logger="lab_telemetry"):
        assert drops.report() == {("logs", "queue_full"): 7, ("traces", "export_failed"): 1}
        assert drops.report() is None  # nothing new: nothing said
    lines = [r for r in caplog.records if r.getMessage() == "telemetry dropped"]
    assert len(lines) == 1
    assert lines[0].dropped == {"logs.queue_full": 7, "traces.export_failed": 1}
    assert "localhost:4317" in lines[0].last_error


def test_exporter_failure_lines_are_kept_out_of_the_sinks() -> None:
    drops = DropCounter()
    flt = ExportNoiseFilter(drops)
    noisy = logging.LogRecord(
        "opentelemetry.exporter.otlp.proto.grpc.exporter",
        logging.ERROR,
        __file__,
        1,
        "Failed to export %s to %s",
        ("traces", "localhost:4317"),
        None,
    )
    ordinary = logging.LogRecord("genai_service", logging.ERROR, __file__, 1, "boom", (), None)
    assert flt.filter(noisy) is False
    assert flt.filter(ordinary) is True
    assert drops._last_error == "Failed to export traces to localhost:4317"
