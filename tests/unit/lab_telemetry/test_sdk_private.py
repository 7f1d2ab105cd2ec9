"""Each use of the SDK's private internals (lab_telemetry.sdk_private), checked against the
installed packages. A version bump fails here first, naming what to re-check."""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status, StatusCode

from lab_telemetry import sdk_private

pytestmark = pytest.mark.unit


def pinned(package: str, version: str, recheck: str) -> None:
    installed = importlib.metadata.version(package)
    assert installed == version, (
        f"{package} is {installed}, lab_telemetry/sdk_private.py was checked against {version}: "
        f"re-check {recheck}, then update the version there"
    )


def ended_span() -> ReadableSpan:
    tracer = TracerProvider(resource=Resource({"service.name": "t"})).get_tracer("t")
    with tracer.start_as_current_span("parent"):
        span = tracer.start_span("child", attributes={"a": 1})
        span.add_event("e", {"k": "v"})
        span.add_link(span.get_span_context(), {"l": True})
        span.set_status(Status(StatusCode.ERROR, "boom"))
        span.end()
    assert isinstance(span, ReadableSpan)
    return span


def test_span_fields_are_the_public_properties() -> None:
    pinned("opentelemetry-sdk", sdk_private.SDK_VERSION, "ReadableSpan's field names")
    span = ended_span()
    fields = sdk_private.span_fields(span)
    public = (
        span.context,
        span.parent,
        span.name,
        span.kind,
        span.start_time,
        span.end_time,
        span.attributes,
        span.events,
        span.links,
        span.status,
    )
    assert fields[:6] == public[:6]
    assert dict(fields[6]) == dict(public[6]) == dict(sdk_private.span_attributes(span))
    assert list(fields[7]) == list(public[7]) == list(sdk_private.span_events(span))
    assert [link.context for link in fields[8]] == [link.context for link in public[8]]
    assert fields[9].description == public[9].description == "boom"
    event = sdk_private.span_events(span)[0]
    assert dict(sdk_private.event_attributes(event)) == dict(event.attributes) == {"k": "v"}
    assert dict(sdk_private.attribute_items(span.attributes)) == {"a": 1}
    assert isinstance(fields[8][0], Link)


def test_internal_encoders_are_the_ones_the_exporter_uses() -> None:
    pinned(
        "opentelemetry-exporter-otlp-proto-common",
        sdk_private.SDK_VERSION,
        "the _encode_resource / _encode_instrumentation_scope helpers (otlp_encoding.py)",
    )
    from opentelemetry.exporter.otlp.proto.common._internal import trace_encoder

    source = inspect.getsource(trace_encoder)
    assert "_encode_resource(" in source and "_encode_instrumentation_scope(" in source
    encoded = sdk_private.encode_resource(Resource({"service.name": "t"}))
    assert encoded.attributes[0].key == "service.name"


def test_the_grpc_exporter_builds_its_request_with_translate_data() -> None:
    pinned(
        "opentelemetry-exporter-otlp-proto-grpc",
        sdk_private.SDK_VERSION,
        "that OTLPExporterMixin._export builds the request with self._translate_data(data)",
    )
    from opentelemetry.exporter.otlp.proto.grpc.exporter import OTLPExporterMixin
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    assert "self._translate_data(data)" in inspect.getsource(OTLPExporterMixin._export)
    exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:9", insecure=True)
    try:

        def encode(spans: Sequence[ReadableSpan]) -> str:
            return f"{len(spans)} spans"

        sdk_private.replace_request_encoder(exporter, encode)
        assert exporter._translate_data([ended_span()]) == "1 spans"
    finally:
        exporter.shutdown()
    # The log exporter is the same mixin's, with its own _translate_data.
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

    assert issubclass(OTLPLogExporter, OTLPExporterMixin)
    assert "_translate_data" in vars(OTLPLogExporter)


def test_metric_exporters_keep_their_preferences_in_two_attributes() -> None:
    pinned(
        "opentelemetry-sdk",
        sdk_private.SDK_VERSION,
        "MetricExporter's _preferred_temporality / _preferred_aggregation",
    )
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import Counter
    from opentelemetry.sdk.metrics.export import (
        AggregationTemporality,
        PeriodicExportingMetricReader,
    )

    # The reader asks its exporter through these two attributes...
    reader_source = inspect.getsource(PeriodicExportingMetricReader.__init__)
    assert "exporter._preferred_temporality" in reader_source
    assert "exporter._preferred_aggregation" in reader_source
    # ...and the OTLP exporter keeps its choice there (cumulative unless the environment says).
    exporter = OTLPMetricExporter(endpoint="http://127.0.0.1:9", insecure=True)
    try:
        temporality, aggregation = sdk_private.metric_preferences(exporter)
        assert temporality[Counter] is AggregationTemporality.CUMULATIVE
        assert isinstance(aggregation, dict)
    finally:
        exporter.shutdown()


def test_a_full_batch_queue_warns_on_the_known_logger() -> None:
    pinned(
        "opentelemetry-sdk",
        sdk_private.SDK_VERSION,
        'the batch processor\'s "Queue full, dropping %s." warning and its logger name',
    )
    release = threading.Event()

    class Stuck(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            release.wait(5)
            return SpanExportResult.SUCCESS

    seen: list[str | None] = []

    class Catch(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(sdk_private.queue_full_kind(record))
            return False

    logger = logging.getLogger(sdk_private.SDK_QUEUE_LOGGER)
    catch = Catch()
    logger.filters.insert(0, catch)
    provider = TracerProvider()
    provider.add_span_processor(
        BatchSpanProcessor(Stuck(), max_queue_size=2, max_export_batch_size=1)
    )
    try:
        tracer = provider.get_tracer("t")
        for _ in range(20):
            tracer.start_span("s").end()
    finally:
        release.set()
        logger.removeFilter(catch)
        provider.shutdown()
    assert "Span" in seen


def test_botocore_keeps_its_extensions_in_a_dict_by_service() -> None:
    pinned(
        "opentelemetry-instrumentation-botocore",
        sdk_private.CONTRIB_VERSION,
        "ExtensionRegistry._extensions (setup._instrument_libraries drops bedrock-runtime)",
    )
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.botocore.extensions import _BOTOCORE_EXTENSIONS
    from opentelemetry.instrumentation.botocore.extensions.registry import ExtensionRegistry

    class Instrumentor:  # the one attribute drop_botocore_extension reads of the instrumentor
        extension_registry = ExtensionRegistry("botocore", dict(_BOTOCORE_EXTENSIONS))

    assert "self.extension_registry = ExtensionRegistry(" in inspect.getsource(BotocoreInstrumentor)
    instrumentor = Instrumentor()
    sdk_private.drop_botocore_extension(instrumentor, "bedrock-runtime")
    left = instrumentor.extension_registry._extensions
    assert "bedrock-runtime" not in left and "sqs" in left
