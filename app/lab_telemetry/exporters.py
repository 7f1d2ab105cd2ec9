"""Exporters chosen by the standard OTEL_* variables, each wrapped in a guard.

The guard is the last thing before data leaves the process, which is why it is where two
guarantees live:
- redaction: every span's name, attributes, event attributes and status description pass
  through lab_telemetry.redaction on the batch worker thread, off the request path. Spans are
  immutable once ended (a SpanProcessor cannot edit them), so the guard exports redacted
  copies; a span with nothing to redact is passed through untouched.
- drop counting: a failed export is counted in genai_lab.telemetry.dropped and never raises
  into the SDK's worker.
Log records are redacted earlier, by a LogRecordProcessor (the SDK lets those edit records);
metric attributes are bounded values (route templates, model and tenant from fixed sets), so
they carry no free text to redact.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import (
    ConsoleLogRecordExporter,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter, SpanExportResult
from opentelemetry.trace import Status

from lab_telemetry.drops import DropCounter
from lab_telemetry.logs import bridging_redacted_record
from lab_telemetry.otlp_encoding import LogEncoder, SpanEncoder
from lab_telemetry.redaction import redact_attribute, redact_text, redact_value
from lab_telemetry.sdk_private import (
    attribute_items,
    metric_preferences,
    replace_request_encoder,
    span_attributes,
    span_events,
)

DEFAULT_PROTOCOL = "grpc"  # the Python SDK's default, and the lab's collector port 4317


def exporter_names(signal: str) -> list[str]:
    """OTEL_{TRACES,METRICS,LOGS}_EXPORTER as a list; 'otlp' when unset, [] for 'none'."""
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp")
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    return [] if "none" in names else names


def otlp_protocol(signal: str) -> str:
    return (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or DEFAULT_PROTOCOL
    ).strip()


def _unknown(signal: str, name: str, protocol: str | None = None) -> ValueError:
    detail = f" with protocol {protocol!r}" if protocol else ""
    return ValueError(f"unsupported {signal} exporter {name!r}{detail}")


def _fast_grpc(
    module: str, exporter_class: str, encoder: type[SpanEncoder | LogEncoder]
) -> Callable[[], Any]:
    """The SDK's OTLP/gRPC exporter, encoding with one of otlp_encoding's encoders.

    Only the encoding changes (the same bytes for a third of the CPU); channel, retries,
    timeouts and compression stay the SDK's. The exporter is the SDK's own class: the encoder
    replaces the one method it calls to build the request (_translate_data), on this instance.
    """

    def build() -> Any:
        exporter = getattr(importlib.import_module(module), exporter_class)()
        replace_request_encoder(exporter, encoder().request)
        return exporter

    return build


def _sdk(module: str, exporter_class: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module(module), exporter_class)()


_OTLP = "opentelemetry.exporter.otlp.proto"
# By signal: the console exporter, and the OTLP exporter for each protocol. The OTLP exporters
# read their endpoint, headers, timeout and compression from the OTEL_EXPORTER_OTLP_*
# variables themselves, so nothing is passed to them.
_EXPORTERS: dict[str, tuple[Callable[[], Any], dict[str, Callable[[], Any]]]] = {
    "traces": (
        ConsoleSpanExporter,
        {
            "grpc": _fast_grpc(f"{_OTLP}.grpc.trace_exporter", "OTLPSpanExporter", SpanEncoder),
            "http/protobuf": _sdk(f"{_OTLP}.http.trace_exporter", "OTLPSpanExporter"),
        },
    ),
    "metrics": (
        ConsoleMetricExporter,
        {
            "grpc": _sdk(f"{_OTLP}.grpc.metric_exporter", "OTLPMetricExporter"),
            "http/protobuf": _sdk(f"{_OTLP}.http.metric_exporter", "OTLPMetricExporter"),
        },
    ),
    "logs": (
        ConsoleLogRecordExporter,
        {
            "grpc": _fast_grpc(f"{_OTLP}.grpc._log_exporter", "OTLPLogExporter", LogEncoder),
            "http/protobuf": _sdk(f"{_OTLP}.http._log_exporter", "OTLPLogExporter"),
        },
    ),
}


def _exporter(signal: str, name: str) -> Any:
    console, otlp = _EXPORTERS[signal]
    if name == "console":
        return console()
    if name != "otlp":
        raise _unknown(signal, name)
    protocol = otlp_protocol(signal)
    if protocol not in otlp:
        raise _unknown(signal, name, protocol)
    return otlp[protocol]()


def span_exporter(name: str) -> SpanExporter:
    exporter: SpanExporter = _exporter("traces", name)
    return exporter


def metric_exporter(name: str) -> MetricExporter:
    exporter: MetricExporter = _exporter("metrics", name)
    return exporter


def log_exporter(name: str) -> LogRecordExporter:
    exporter: LogRecordExporter = _exporter("logs", name)
    return exporter


# ---------------------------------------------------------------------------- redaction


# Attributes whose values come from code or closed vocabularies, never from a caller: skipping
# them keeps the per-span cost down (the unique ones, like response ids, would miss the cache).
SAFE_KEYS = frozenset(
    {
        "http.route",
        "http.request.method",
        "http.response.status_code",
        "url.scheme",
        "network.protocol.version",
        "server.port",
        "client.port",
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "gen_ai.token.type",
        "error.type",
        "otel.status_code",
    }
)


def _redacted_attrs(attrs: Any) -> tuple[Any, bool]:
    if not attrs:
        return attrs, False
    # BoundedAttributes keeps a plain dict; iterating it beats the Mapping mixins. The copy is
    # made only once a value changes (most spans have nothing to redact).
    items = attribute_items(attrs)
    out = None
    for key, value in items:
        if key in SAFE_KEYS or not isinstance(value, str | tuple | list):
            continue
        new = redact_attribute(key, value)
        if new != value:
            if out is None:
                out = dict(items)
            out[key] = new
    return (attrs, False) if out is None else (out, True)


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """span itself when nothing in it needs redaction, else a redacted copy."""
    name = redact_text(span.name)
    attributes, changed = _redacted_attrs(span_attributes(span))
    changed = changed or name != span.name
    events = span_events(span)
    if events:
        events = list(events)
        for i, event in enumerate(events):
            ev_attrs, ev_changed = _redacted_attrs(event.attributes)
            if ev_changed:
                events[i] = Event(event.name, ev_attrs, event.timestamp)
                changed = True
    status = span.status
    if status.description:
        description = redact_text(status.description)
        if description != status.description:
            status = Status(status.status_code, description)
            changed = True
    if not changed:
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class GuardedSpanExporter(SpanExporter):
    def __init__(self, inner: SpanExporter, drops: DropCounter) -> None:
        self._inner = inner
        self._drops = drops

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export([redact_span(s) for s in spans])
        except Exception as exc:  # an exporter bug must not kill the worker thread
            self._drops.note_error(f"{type(exc).__name__}: {exc}")
            result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            self._drops.add("traces", "export_failed", len(spans))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _data_points(data: MetricsData) -> int:
    return sum(
        len(metric.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    )


class GuardedMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter, drops: DropCounter) -> None:
        # The reader asks the exporter for temporality and aggregation through these two
        # attributes of the MetricExporter base; forwarding them keeps the inner choice
        # (cumulative, which prometheusremotewrite needs).
        temporality, aggregation = metric_preferences(inner)
        super().__init__(preferred_temporality=temporality, preferred_aggregation=aggregation)
        self._inner = inner
        self._drops = drops

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:
            self._drops.note_error(f"{type(exc).__name__}: {exc}")
            result = MetricExportResult.FAILURE
        if result is not MetricExportResult.SUCCESS:
            self._drops.add("metrics", "export_failed", _data_points(metrics_data))
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


class GuardedLogExporter(LogRecordExporter):
    def __init__(self, inner: LogRecordExporter, drops: DropCounter) -> None:
        self._inner = inner
        self._drops = drops

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        try:
            result = self._inner.export(batch)
        except Exception as exc:
            self._drops.note_error(f"{type(exc).__name__}: {exc}")
            result = LogRecordExportResult.FAILURE
        if result is not LogRecordExportResult.SUCCESS:
            self._drops.add("logs", "export_failed", len(batch))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class RedactingLogRecordProcessor(LogRecordProcessor):
    """First processor on the LoggerProvider: redacts body and attributes in place.

    Records from the stdlib are already redacted by the logging filter and pass unscanned
    (unless they carry a traceback); this one covers anything emitted straight through the
    OpenTelemetry Logs API.
    """

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if bridging_redacted_record():
            return
        record = log_record.log_record
        if isinstance(record.body, str):
            record.body = redact_text(record.body)
        elif record.body is not None:
            record.body = redact_value(record.body)
        attrs = record.attributes
        if attrs:
            for key, value in list(attrs.items()):
                new = redact_value(value)
                if new != value:
                    attrs[key] = new  # type: ignore[index]

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
