"""The fast span encoder writes the bytes the SDK's encoder writes, for every span shape."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from lab_telemetry.exporters import redact_span
from lab_telemetry.otlp_encoding import SpanEncoder

pytestmark = pytest.mark.unit

SCHEMA = "https://opentelemetry.io/schemas/1.41.0"


def _spans() -> list:
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "genai-service", "n": 3, "l": ["a", "b"]})
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    server = provider.get_tracer("fastapi", "0.1", schema_url=SCHEMA)
    other = provider.get_tracer("genai_service.orchestrator.service")
    # A second tracer for the same scope: its spans share one ScopeSpans, as with the SDK.
    again = provider.get_tracer("fastapi", "0.1", schema_url=SCHEMA)
    for i in range(12):
        attributes = {
            "http.request.method": "POST",
            "server.port": 8000,
            "negative": -5,
            "flag": False,
            "cost": 0.000344,
            "minus_zero": -0.0,
            "reasons": ("length",),
            "ints": (1, 2, 3),
            "bools": (True, False),
            "big": 2**62,
            "empty": "",
            "unicode": "café ☕",
            "email": "someone@example.com",
        }
        with server.start_as_current_span(
            "POST /v1/chat/completions", kind=SpanKind.SERVER, attributes=attributes
        ) as parent:
            with other.start_as_current_span("prompt.redact") as child:
                child.set_attribute("redaction.messages_changed", i)
                child.add_event("event", {"k": "v", "n": 1})
                child.add_event("bare")
            link = Link(parent.get_span_context(), {"link.n": 1})
            with again.start_as_current_span(
                f"chat m{i % 3}", kind=SpanKind.CLIENT, links=[link]
            ) as call:
                call.set_attributes({"gen_ai.response.id": f"chatcmpl-{i}", "tokens": i})
                if i % 4 == 0:
                    try:
                        raise ValueError("boom from 10.1.2.3")
                    except ValueError as exc:
                        call.record_exception(exc)
                        call.set_status(Status(StatusCode.ERROR, "boom"))
                elif i % 4 == 1:
                    call.set_status(StatusCode.OK)
    return list(memory.get_finished_spans())


def test_same_bytes_as_the_sdk_encoder() -> None:
    spans = _spans()
    encoder = SpanEncoder()
    for _ in range(2):  # the second pass runs from the attribute cache
        assert encoder.encode(spans) == encode_spans(spans).SerializeToString()


def test_redacted_copies_encode_like_the_sdk_and_parse_back() -> None:
    spans = [redact_span(s) for s in _spans()]
    request = SpanEncoder().request(spans)
    assert isinstance(request, ExportTraceServiceRequest)
    assert request == encode_spans(spans)
    assert b"someone@example.com" not in request.SerializeToString()


# -- log records -------------------------------------------------------------------------------
def _log_records() -> list:
    import logging

    from opentelemetry._logs import SeverityNumber
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.sdk._logs import LoggerProvider, LogRecordLimits
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider

    memory = InMemoryLogRecordExporter()
    records = []
    for resource, limits in (
        (Resource.create({"service.name": "genai-service", "n": 3}), None),
        (Resource({"service.name": "aiops"}, schema_url=SCHEMA), LogRecordLimits(max_attributes=3)),
    ):
        provider = LoggerProvider(resource=resource, log_record_limits=limits)
        provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
        api = provider.get_logger("genai_service.call_record", "0.1", schema_url=SCHEMA)
        tracer = TracerProvider().get_tracer("t")
        for i in range(6):
            attributes = {
                "event.name": "genai_lab.call",
                "tenant.id": "acme",
                "gen_ai.usage.input_tokens": 12 + i,
                "genai_lab.cost.usd": 0.000344 * i,
                "genai_lab.call.cache_hit": i % 2 == 0,
                "genai_lab.call.prompt_hash": f"{i:016x}",
                "request_id": f"req-{i}",
                "reasons": ("stop",),
                "nested": {"a": [1, "b", None]},
                "unicode": "café ☕",
                "empty": "",
            }
            body = ("genai_lab.call", None, {"k": "v"}, 7, "", b"raw")[i]
            if i % 2:
                with tracer.start_as_current_span("s"):
                    api.emit(
                        body=body,
                        attributes=attributes,
                        severity_number=SeverityNumber.INFO,
                        severity_text="INFO",
                        event_name="genai_lab.call" if i == 3 else None,
                    )
            else:
                api.emit(body=body, attributes=attributes, timestamp=1_700_000_000_000_000_000 + i)
        # Through the stdlib bridge, as the service's records arrive.
        handler = LoggingHandler(logger_provider=provider)
        stdlib = logging.getLogger("uvicorn.access")
        stdlib.addHandler(handler)
        try:
            stdlib.warning('127.0.0.1:5 - "POST /v1/chat/completions HTTP/1.1" 200')
        finally:
            stdlib.removeHandler(handler)
        records = list(memory.get_finished_logs())
    return records


def test_log_records_encode_to_the_sdk_encoder_bytes() -> None:
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs

    from lab_telemetry.otlp_encoding import LogEncoder

    records = _log_records()
    assert len({r.resource.attributes["service.name"] for r in records}) == 2
    assert any(r.dropped_attributes for r in records)
    encoder = LogEncoder()
    for _ in range(2):  # the second pass runs from the attribute cache
        assert encoder.encode(records) == encode_logs(records).SerializeToString()
    assert encoder.request(records) == encode_logs(records)


def test_an_unencodable_log_attribute_is_skipped_as_the_sdk_skips_it() -> None:
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    from lab_telemetry.otlp_encoding import LogEncoder

    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    record = provider.get_logger("x")
    record.emit(body="b", attributes={"ok": 1})
    (readable,) = memory.get_finished_logs()
    # An attribute the SDK itself would refuse, slipped in after the SDK's own checks.
    readable.log_record.attributes._dict["odd"] = object()  # type: ignore[union-attr]
    assert LogEncoder().encode([readable]) == encode_logs([readable]).SerializeToString()
