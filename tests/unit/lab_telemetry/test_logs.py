"""Logs: structlog and stdlib records reach stdout JSON and OTLP, correlated and redacted."""

from __future__ import annotations

import logging

import pytest
import structlog
from opentelemetry import trace

from tests.support.caller import as_caller

pytestmark = pytest.mark.unit

tracer = trace.get_tracer("tests.logs")


def test_log_record_trace_id_equals_its_span(pipeline) -> None:
    log = structlog.get_logger("tests.logs")
    with tracer.start_as_current_span("work") as span:
        log.info("inside a span", answer=42)
    ctx = span.get_span_context()

    records = [r for r in pipeline.logs() if r.log_record.body == "inside a span"]
    assert len(records) == 1
    record = records[0].log_record
    assert record.trace_id == ctx.trace_id
    assert record.span_id == ctx.span_id
    # structlog keys arrive as OTLP attributes (render_to_log_kwargs), not in the body.
    assert record.attributes["answer"] == 42
    assert record.severity_text == "INFO"
    # The trace id lives in the record's trace context only: no clashing attribute.
    assert "trace_id" not in record.attributes

    lines = [line for line in pipeline.stdout_lines() if line["message"] == "inside a span"]
    assert len(lines) == 1
    line = lines[0]
    assert line["trace_id"] == format(ctx.trace_id, "032x")
    assert line["span_id"] == format(ctx.span_id, "016x")
    assert line["level"] == "info"
    assert line["logger"] == "tests.logs"
    assert line["answer"] == 42
    assert line["timestamp"].endswith("Z")


# The package serves more than one service: it does not rely on each one's id rule, so an id
# holding PII is redacted in both sinks.
@pytest.mark.parametrize(
    ("request_id", "logged"),
    [("req-77", "req-77"), ("203.0.113.77", "[REDACTED:ip_address]")],
)
def test_request_id_comes_from_the_caller(pipeline, request_id: str, logged: str) -> None:
    with as_caller(request_id=request_id, tenant_id="acme"):
        structlog.get_logger("tests.logs").warning("caller known")
    line = next(x for x in pipeline.stdout_lines() if x["message"] == "caller known")
    assert line["request_id"] == logged
    record = next(r for r in pipeline.logs() if r.log_record.body == "caller known")
    assert record.log_record.attributes["request_id"] == logged


def test_pii_in_messages_and_fields_is_redacted_in_both_sinks(pipeline) -> None:
    structlog.get_logger("tests.logs").info(
        "user dave@example.com paid", card="4111-1111-1111-1111", nested={"ip": "203.0.113.9"}
    )
    # A library logging through the stdlib with %-args, like uvicorn's access log.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "198.51.100.7:5000",
        "GET",
        "/x?email=eve@example.com",
        "1.1",
        200,
    )
    raw_stdout = pipeline.stdout.getvalue()
    exported = repr([(r.log_record.body, dict(r.log_record.attributes)) for r in pipeline.logs()])
    for secret in (
        "dave@example.com",
        "4111-1111-1111-1111",
        "203.0.113.9",
        "198.51.100.7",
        "eve@example.com",
    ):
        assert secret not in raw_stdout
        assert secret not in exported
    assert "[REDACTED:email]" in raw_stdout and "[REDACTED:card_number]" in exported


def test_uvicorn_and_library_loggers_use_the_same_pipeline(pipeline) -> None:
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("botocore.credentials").warning("Found credentials in environment")
    names = {line["logger"] for line in pipeline.stdout_lines()}
    assert {"uvicorn.error", "botocore.credentials"} <= names
    bodies = {r.log_record.body for r in pipeline.logs()}
    assert {"Started server process", "Found credentials in environment"} <= bodies


def test_reserved_record_keys_do_not_break_logging(pipeline) -> None:
    structlog.get_logger("tests.logs").info("reserved keys", name="x", args="y")
    line = next(x for x in pipeline.stdout_lines() if x["message"] == "reserved keys")
    assert line["name_"] == "x" and line["args_"] == "y"


def test_exceptions_are_logged_redacted_with_exception_attributes(pipeline) -> None:
    log = structlog.get_logger("tests.logs")
    try:
        raise ValueError("lookup failed for frank@example.com")
    except ValueError:
        log.exception("handler failed")
    line = next(x for x in pipeline.stdout_lines() if x["message"] == "handler failed")
    assert "ValueError" in line["exception"] and "frank@example.com" not in line["exception"]
    record = next(r for r in pipeline.logs() if r.log_record.body == "handler failed")
    attrs = record.log_record.attributes
    assert attrs["exception.type"] == "ValueError"
    assert "frank@example.com" not in attrs["exception.message"]
    assert "frank@example.com" not in attrs["exception.stacktrace"]


def test_sdk_internal_logs_are_not_exported_over_otlp(pipeline) -> None:
    logging.getLogger("opentelemetry.sdk.something").warning("internal detail")
    assert "internal detail" not in {r.log_record.body for r in pipeline.logs()}


def test_stdlib_records_are_redacted_once_and_api_records_by_the_processor(
    pipeline, monkeypatch
) -> None:
    from opentelemetry._logs import get_logger_provider

    from lab_telemetry import exporters

    scanned: list[object] = []
    real = exporters.redact_value
    monkeypatch.setattr(
        exporters, "redact_value", lambda value: scanned.append(value) or real(value)
    )
    # Through the stdlib: RedactionFilter has redacted it; the processor does not scan again.
    structlog.get_logger("tests.logs").info("bridged", note="grace@example.com", n=1)
    assert scanned == []
    record = next(r for r in pipeline.logs() if r.log_record.body == "bridged")
    assert record.log_record.attributes["note"] == "[REDACTED:email]"
    # Straight through the Logs API: only the processor stands between it and the exporter.
    get_logger_provider().get_logger("tests.api").emit(
        body="api heidi@example.com", attributes={"note": "heidi@example.com"}
    )
    assert "heidi@example.com" in scanned
    record = next(r for r in pipeline.logs() if "api" in str(r.log_record.body))
    assert record.log_record.body == "api [REDACTED:email]"
    assert record.log_record.attributes["note"] == "[REDACTED:email]"


def test_a_request_with_its_own_record_writes_no_access_line(pipeline) -> None:
    from lab_telemetry.logs import replace_access_line, reset_access_line

    access = logging.getLogger("uvicorn.access")
    token = replace_access_line()
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "198.51.100.7:5", "POST", "/v1/x", "1.1", 200)
        logging.getLogger("tests.logs").info("other lines still written")
    finally:
        reset_access_line(token)
    access.info('%s - "%s %s HTTP/%s" %d', "198.51.100.7:5", "GET", "/v1/y", "1.1", 200)
    messages = [line["message"] for line in pipeline.stdout_lines()]
    bodies = [str(r.log_record.body) for r in pipeline.logs()]
    for written in (messages, bodies):
        assert not [m for m in written if "/v1/x" in m]
        assert [m for m in written if "/v1/y" in m]
        assert "other lines still written" in written


def test_records_skip_the_details_no_sink_writes(pipeline) -> None:
    # logging._srcfile = None is the stdlib's documented way (logging HOWTO, "Optimization")
    # to skip finding the caller's frame; if a Python release drops the knob, this fails.
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    logger = logging.getLogger("tests.logs.details")
    capture = Capture()
    logger.addHandler(capture)
    try:
        logger.info("no caller, thread or process")
    finally:
        logger.removeHandler(capture)
    (record,) = captured
    assert record.funcName == "(unknown function)" and record.lineno == 0
    assert record.threadName is None and record.processName is None
