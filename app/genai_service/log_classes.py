"""Retention classes: which log records are kept how long, decided where they are written.

Each record gets ``genai_lab.log.class`` from the logger that wrote it (and its level); Loki
makes that attribute an index label (``genai_lab_log_class``, loki/loki.yaml otlp_config), and
its per-stream retention keys on the label (docs/retention.md):

    audit   security events and admin changes     7 years  (archive)
    call    genai_lab.call records (cost, usage)   365 days (cold)
    (none)  every other log line                   30 days  (warm)
    debug   anything below INFO                    7 days   (hot only)

Four values at most, so the label adds at most four streams per service.
"""

from __future__ import annotations

import logging

ATTRIBUTE = "genai_lab.log.class"
AUDIT = "audit"
CALL = "call"
DEBUG = "debug"
BY_LOGGER = {
    "genai_service.security": AUDIT,
    "genai_service.api.admin_routes": AUDIT,
    "genai_service.call_record": CALL,
}


class LogClassFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        cls = BY_LOGGER.get(record.name)
        if cls is None and record.levelno < logging.INFO:
            cls = DEBUG
        if cls is not None:
            record.__dict__[ATTRIBUTE] = cls
        return True


def install() -> None:
    """Add the filter to the root logger's telemetry handler (once), so both sinks see it."""
    from lab_telemetry.logs import TelemetryLogHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, TelemetryLogHandler) and not any(
            isinstance(f, LogClassFilter) for f in handler.filters
        ):
            handler.addFilter(LogClassFilter())
