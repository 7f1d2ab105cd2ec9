"""Logging: structlog for the code, one stdlib pipeline for everything, two sinks.

    structlog.get_logger().info("event", key=value)
        -> structlog processors, render_to_log_kwargs last (keys become `extra`)
        -> stdlib logging (uvicorn, botocore, httpx ... log straight into it)
        -> TelemetryLogHandler on the root logger: redact once, add request_id
             -> stdout: one JSON object per line (timestamp, level, logger, message,
                trace_id, span_id, request_id, the event's fields)
             -> OTLP: opentelemetry-instrumentation-logging's LoggingHandler; the fields are
                log attributes and the record carries the active span's trace and span ids

A request with a canonical record of its own (replace_access_line) has no access line.

One handler fans out to both sinks so each record is redacted exactly once, whichever API
produced it. trace_id and span_id are read from the active span when the line is written,
not stored on the record, so OTLP records carry them only in their trace context fields
(a duplicate trace_id attribute would clash with it in Loki).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, MutableMapping, Sequence
from contextvars import ContextVar, Token
from typing import Any, TextIO

import structlog
from opentelemetry import trace

from lab_telemetry.context import current_caller
from lab_telemetry.redaction import redact_text, redact_tokens, redact_value

# Attributes every LogRecord has; anything else on a record is an event field.
RESERVED_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()) | {
    "message",
    "asctime",
    "taskName",
}
_OTEL_LOGGER_PREFIX = "opentelemetry."
# Loggers that install their own handlers; their records are routed to the root pipeline.
ACCESS_LOGGER = "uvicorn.access"
_REROUTED_LOGGERS = ("uvicorn", "uvicorn.error", ACCESS_LOGGER, "gunicorn.error")


class RedactionFilter(logging.Filter):
    """Redacts the message and every event field of a record, and adds request_id."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's ANSI-coloured copy of the message: noise in JSON and OTLP alike.
        record.__dict__.pop("color_message", None)
        message = record.getMessage()
        # An access-log line holds the request's path and query: read token by token.
        record.msg = (redact_tokens if record.name == ACCESS_LOGGER else redact_text)(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in RESERVED_RECORD_ATTRS:
                record.__dict__[key] = redact_value(value)
        if "request_id" not in record.__dict__:
            caller = current_caller()
            if caller is not None:
                # A caller may choose its X-Request-ID, and not every service using this
                # package refuses one holding PII; generated ids are SafeText (no scan).
                record.request_id = redact_text(caller.request_id)
        return True


_access_line_replaced: ContextVar[bool] = ContextVar("lab_access_line_replaced", default=False)


def replace_access_line() -> Token[bool]:
    """This request has a canonical record of its own (genai_service's call record: status,
    timing and ids, and much more), which stands for it in the logs: its uvicorn access line
    is not written, to stdout or OTLP. One line per request, not two saying the same.
    Reset with the token."""
    return _access_line_replaced.set(True)


def reset_access_line(token: Token[bool]) -> None:
    _access_line_replaced.reset(token)


class ReplacedAccessLine(logging.Filter):
    """Drops the access line of a request whose own record replaces it (replace_access_line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != ACCESS_LOGGER or not _access_line_replaced.get()


class NotOtelInternal(logging.Filter):
    """Keeps the SDK's own log lines out of the OTLP sink (they would feed back into it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(_OTEL_LOGGER_PREFIX)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; trace ids come from the span active while logging."""

    def format(self, record: logging.LogRecord) -> str:
        created = record.created
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
            + f".{int((created % 1) * 1000):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in RESERVED_RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact_text(record.exc_text)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TelemetryLogHandler(logging.Handler):
    """Root handler: filters once (redaction), then hands the record to each sink."""

    def __init__(self, sinks: Sequence[logging.Handler]) -> None:
        super().__init__()
        self.sinks = list(sinks)
        self.addFilter(RedactionFilter())

    def handle(self, record: logging.LogRecord) -> bool:
        # Overridden so the sinks' own locks are used, not one lock around all of them.
        if not self.filter(record):
            return False
        for sink in self.sinks:
            if record.levelno >= sink.level:
                sink.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        super().close()


def stdout_sink(stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    return handler


def _rename_reserved(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # stdlib refuses `extra` keys that shadow LogRecord attributes ("name", "args"...).
    for key in [k for k in event_dict if k in RESERVED_RECORD_ATTRS and k != "event"]:
        if key in ("exc_info", "stack_info", "stacklevel"):
            continue
        event_dict[f"{key}_"] = event_dict.pop(key)
    return event_dict


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            _rename_reserved,
            structlog.stdlib.render_to_log_kwargs,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def log_level() -> int:
    name = os.environ.get("LOG_LEVEL", "INFO").upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def install(
    sinks: Iterable[logging.Handler],
    *,
    extra_filters: Iterable[logging.Filter] = (),
    level: int | None = None,
) -> TelemetryLogHandler:
    """Make a TelemetryLogHandler the root logger's only handler; idempotent per process."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, TelemetryLogHandler)]:
        root.removeHandler(existing)
        existing.flush()
    handler = TelemetryLogHandler(list(sinks))
    # Cheap drop-the-record filters go before redaction, so dropped lines cost nothing.
    handler.filters[:0] = [ReplacedAccessLine(), *extra_filters]
    root.addHandler(handler)
    root.setLevel(level if level is not None else log_level())
    # Neither sink writes where a record was made, nor its thread or process: skip gathering
    # them for every record (the logging HOWTO, "Optimization"; the OTLP sink is made without
    # code attributes, otlp_sink below).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in _REROUTED_LOGGERS:
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    configure_structlog()
    return handler


_bridge = threading.local()


def bridging_redacted_record() -> bool:
    """True while the OTLP sink hands the Logs SDK a record that RedactionFilter has redacted
    whole (message and fields; no traceback, which the SDK adds as attributes of its own)."""
    return getattr(_bridge, "redacted", False)


def otlp_sink(logger_provider: Any) -> logging.Handler:
    from opentelemetry.instrumentation.logging.handler import LoggingHandler

    class OtlpSink(LoggingHandler):
        def emit(self, record: logging.LogRecord) -> None:
            # The Logs SDK's processors run inside this call: the flag tells the redacting
            # processor (exporters.RedactingLogRecordProcessor) not to scan the record again.
            _bridge.redacted = not (record.exc_info or record.exc_text or record.stack_info)
            try:
                super().emit(record)
            finally:
                _bridge.redacted = False

    handler = OtlpSink(logger_provider=logger_provider)
    handler.addFilter(NotOtelInternal())
    return handler
