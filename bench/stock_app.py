"""The issue's minimum telemetry, instrumented the stock way, in the smallest FastAPI app.

bench_telemetry_overhead runs it beside the lab's service, on and off (OTEL_SDK_DISABLED), to
tell how far the stock OpenTelemetry SDK itself stands above its own floor (bench/sdk_floor.py)
once its calls are made from a request rather than from a tight loop. No lab code: the SDK
set up by hand from the OTEL_* variables (batch processors, OTLP exporters, a periodic metric
reader), FastAPI's own request telemetry, and per chat completion:
- 3 spans: the HTTP server span (FastAPI, its operation spans off), the redaction stage, the
  provider call;
- 5 metric records: http.server.request.duration (FastAPI; it also moves
  http.server.active_requests up and down, which cannot be turned off on its own), the
  operation duration, token usage for input and for output, and the cost;
- 1 log record: uvicorn's access line, exported through the SDK's LoggingHandler.

    uvicorn bench.stock_app:create_app --factory
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.util.types import AttributeValue

ACCESS_LOGGER = "uvicorn.access"
MODEL = "claude-haiku-4-5"
GENAI_METRIC_ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "simulated",
    "gen_ai.request.model": MODEL,
}
ANSWER = "Stock answer."
COST_USD = 0.000341


def _install_sdk() -> None:
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    set_logger_provider(logger_provider)
    access = logging.getLogger(ACCESS_LOGGER)
    access.addHandler(LoggingHandler(logger_provider=logger_provider))


def create_app() -> FastAPI:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true":
        _install_sdk()
    tracer = trace.get_tracer("stock-app")
    meter = metrics.get_meter("stock-app")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    cost = meter.create_counter("genai_lab.cost.usd", unit="USD")
    # FastAPI's operation spans (dependencies, endpoint, serialization) are off, as in the lab:
    # the minimum has one server span.
    app = FastAPI(telemetry=TelemetryConfig(logs=False, operation_spans=False))

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/chat/completions")
    async def chat(body: dict[str, Any]) -> dict[str, Any]:
        with tracer.start_as_current_span("prompt.redact"):
            prompt = str(body.get("messages", ""))
        started = time.perf_counter()
        attributes: dict[str, AttributeValue] = {
            **GENAI_METRIC_ATTRS,
            "gen_ai.response.model": MODEL,
            "gen_ai.usage.input_tokens": len(prompt) // 4,
            "gen_ai.usage.output_tokens": 3,
            "genai_lab.cost.usd": COST_USD,
        }
        with tracer.start_as_current_span(
            f"chat {MODEL}", kind=trace.SpanKind.CLIENT, attributes=attributes
        ):
            duration.record(time.perf_counter() - started, GENAI_METRIC_ATTRS)
            tokens.record(len(prompt) // 4, {**GENAI_METRIC_ATTRS, "gen_ai.token.type": "input"})
            tokens.record(3, {**GENAI_METRIC_ATTRS, "gen_ai.token.type": "output"})
            cost.add(COST_USD, GENAI_METRIC_ATTRS)
        return {
            "id": "chatcmpl-stock",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER},
                    "finish_reason": "stop",
                }
            ],
        }

    return app
