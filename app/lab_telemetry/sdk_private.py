"""Every use of the OpenTelemetry SDK's private internals, fenced in one module.

Each one saves CPU on the per-request path or reaches something the SDK offers no public way
to reach. They hold for the versions pinned below; tests/unit/lab_telemetry/test_sdk_private.py
checks each use against the installed packages and, when a version differs from these, fails
naming what to re-check before the pins move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_instrumentation_scope as encode_instrumentation_scope,
)
from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_resource as encode_resource,
)
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace import Event, ReadableSpan

SDK_VERSION = "1.45.2"  # opentelemetry-sdk and the OTLP exporters
CONTRIB_VERSION = "0.66b2"  # opentelemetry-instrumentation-botocore

__all__ = [
    "CONTRIB_VERSION",
    "SDK_EXPORT_LOGGERS",
    "SDK_QUEUE_LOGGER",
    "SDK_VERSION",
    "attribute_items",
    "drop_botocore_extension",
    "encode_instrumentation_scope",
    "encode_resource",
    "event_attributes",
    "metric_preferences",
    "queue_full_kind",
    "replace_request_encoder",
    "span_attributes",
    "span_events",
    "span_fields",
]


# -- ReadableSpan's fields ---------------------------------------------------------------------
# Its public properties copy events and links into new tuples and wrap attributes in a proxy;
# the exporters read every exported span, so they read the fields.
def span_fields(span: ReadableSpan) -> tuple[Any, ...]:
    """(context, parent, name, kind, start_time, end_time, attributes, events, links, status)."""
    return (
        span._context,
        span._parent,
        span._name,
        span._kind,
        span._start_time,
        span._end_time,
        span._attributes,
        span._events,
        span._links,
        span._status,
    )


def span_attributes(span: ReadableSpan) -> Any:
    return span._attributes


def span_events(span: ReadableSpan) -> Sequence[Event]:
    return span._events


def event_attributes(event: Event) -> Any:
    return event._attributes


def attribute_items(attributes: Mapping[str, Any]) -> Any:
    """The items of a BoundedAttributes through the plain dict it keeps (faster to iterate)."""
    return getattr(attributes, "_dict", attributes).items()


# -- the OTLP span and log exporters' request builder -------------------------------------------
def replace_request_encoder(exporter: Any, encode: Callable[[Sequence[Any]], Any]) -> None:
    """Have this exporter instance build its export request with `encode`.

    The SDK's OTLP/gRPC exporters call self._translate_data(data) to build the request; channel,
    retries, timeouts and compression stay theirs.
    """
    exporter._translate_data = encode


# -- the metric exporter's preferences ---------------------------------------------------------
def metric_preferences(exporter: MetricExporter) -> tuple[Any, Any]:
    """(temporality, aggregation) by instrument type: what a reader asks a wrapping exporter."""
    return exporter._preferred_temporality, exporter._preferred_aggregation


# -- the SDK's own log lines --------------------------------------------------------------------
# The batch processors warn "Queue full, dropping %s." (Span or Log) on this logger, once per
# dropped item, behind a DuplicateFilter of their own.
SDK_QUEUE_LOGGER = "opentelemetry.sdk._shared_internal"
# Loggers whose warnings describe failed exports.
SDK_EXPORT_LOGGERS = (
    "opentelemetry.exporter.",
    SDK_QUEUE_LOGGER,
    "opentelemetry.sdk.metrics._internal.export",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk._logs._internal.export",
)


def queue_full_kind(record: logging.LogRecord) -> str | None:
    """ "Span" or "Log" when the record is a batch processor's queue-full warning, else None."""
    if isinstance(record.msg, str) and record.msg.startswith("Queue full"):
        args = record.args
        return str(args[0]) if isinstance(args, tuple) and args else ""
    return None


# -- botocore's GenAI extension ----------------------------------------------------------------
def drop_botocore_extension(instrumentor: Any, service: str) -> None:
    """Stop the botocore instrumentation's per-service extension for `service` (its spans stay)."""
    registry = getattr(instrumentor, "extension_registry", None)
    if registry is not None and hasattr(registry, "_extensions"):
        registry._extensions = {k: v for k, v in registry._extensions.items() if k != service}
