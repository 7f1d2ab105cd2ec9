"""The bare OpenTelemetry SDK's cost for the least telemetry the lab's issue asks per request.

Used by bench_telemetry_overhead, on the same core and the same OTLP sink in the same run, to
tell how much of the measured overhead any Python service pays before our own code adds
anything. A child process (pinned like the services) builds the stock SDK pipeline: the
batch span and log processors with the OTLP/gRPC exporters, a periodic metric reader, the
stdlib logging handler; no lab code at all. It times, in process CPU (export threads
included, since each batch is flushed inside the timed stretch):
- a span with HTTP or GenAI attributes, started, ended and exported;
- a histogram record inside a sampled span (the exemplar path) and a counter add;
- a log record through the logging handler, exported.

The minimum per chat completion (cache off, as in the benchmark), from the issue's text:
3 spans (the HTTP server span, the redaction stage, the provider call "chat {model}"),
5 metric records (http.server.request.duration, gen_ai.client.operation.duration, token
usage for input and for output, cost) and 1 log record (the access log).
"""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TypedDict

from opentelemetry.util.types import AttributeValue

from tools.processes import free_port

ROOT = Path(__file__).resolve().parents[1]

SPANS_PER_REQUEST = 3
HISTOGRAM_RECORDS_PER_REQUEST = 4  # request duration, operation duration, 2 x token usage
COUNTER_ADDS_PER_REQUEST = 1  # cost
LOGS_PER_REQUEST = 1
ITEMS = 4000  # per measurement; under the queues' size, so nothing is dropped


class BatchSizes(TypedDict):
    max_queue_size: int
    max_export_batch_size: int


SERVER_ATTRS: dict[str, AttributeValue] = {
    "http.request.method": "POST",
    "http.route": "/v1/chat/completions",
    "url.scheme": "http",
    "url.path": "/v1/chat/completions",
    "network.protocol.version": "1.1",
    "server.address": "127.0.0.1",
    "http.response.status_code": 200,
}
GENAI_ATTRS: dict[str, AttributeValue] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "aws.bedrock",
    "gen_ai.request.model": "claude-haiku-4-5",
    "gen_ai.response.model": "claude-haiku-4-5",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 21,
    "gen_ai.usage.output_tokens": 64,
    "genai_lab.cost.usd": 0.000341,
}
METRIC_ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "aws.bedrock",
    "gen_ai.request.model": "claude-haiku-4-5",
    "gen_ai.token.type": "input",
}


@dataclass(frozen=True)
class Floor:
    span_us: float
    histogram_us: float
    counter_us: float
    log_us: float

    @classmethod
    def median(cls, floors: Sequence[Floor]) -> Floor:
        names = [f.name for f in fields(cls)]
        return cls(**{n: statistics.median(getattr(x, n) for x in floors) for n in names})

    @property
    def per_request_us(self) -> float:
        return (
            SPANS_PER_REQUEST * self.span_us
            + HISTOGRAM_RECORDS_PER_REQUEST * self.histogram_us
            + COUNTER_ADDS_PER_REQUEST * self.counter_us
            + LOGS_PER_REQUEST * self.log_us
        )

    def best_ratio(self, off_cpu_us: float) -> float:
        """The throughput ratio a CPU-bound request of off_cpu_us could reach at best."""
        return off_cpu_us / (off_cpu_us + self.per_request_us)

    def describe(self) -> str:
        return (
            f"bare SDK, same core: span {self.span_us:.1f} us, histogram record "
            f"{self.histogram_us:.1f} us, counter add {self.counter_us:.1f} us, log record "
            f"{self.log_us:.1f} us;\n  the issue's minimum per request ({SPANS_PER_REQUEST} spans, "
            f"{HISTOGRAM_RECORDS_PER_REQUEST + COUNTER_ADDS_PER_REQUEST} metric records, "
            f"{LOGS_PER_REQUEST} log) costs {self.per_request_us:.0f} us"
        )


def measure(endpoint: str, core: int | None) -> Floor:
    """Run the child on `core` against the OTLP/gRPC sink at `endpoint`."""
    cmd = [sys.executable, "-m", "bench.sdk_floor", endpoint]
    if core is not None:
        cmd = ["taskset", "-c", str(core), *cmd]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    return Floor(**json.loads(out.stdout.strip().splitlines()[-1]))


@contextlib.contextmanager
def otlp_sink() -> Iterator[str]:
    """A collector stand-in in its own process: acknowledges OTLP/gRPC, decodes nothing."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.otlp_receiver", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "listening": the port is bound
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _cpu_us_per_item(action: Callable[[], None], flush: Callable[[], object] | None) -> float:
    for _ in range(ITEMS // 4):  # warm-up: first-use costs, a first export
        action()
    if flush:
        flush()
    best = float("inf")
    for _ in range(3):  # the least of three: the machine's noise only ever adds
        start = time.process_time()
        for _ in range(ITEMS):
            action()
        if flush:
            flush()
        best = min(best, (time.process_time() - start) / ITEMS * 1e6)
    return best


def _child(endpoint: str) -> Floor:
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

    resource = Resource.create({"service.name": "sdk-floor"})
    tracer_provider = TracerProvider(resource=resource)
    batch = BatchSizes(max_queue_size=4 * ITEMS, max_export_batch_size=512)
    span_exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter, **batch))
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=10_000
    )
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    log_exporter = OTLPLogExporter(endpoint=endpoint, insecure=True)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter, **batch))
    tracer = tracer_provider.get_tracer("sdk-floor")
    meter = meter_provider.get_meter("sdk-floor")
    histogram = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    counter = meter.create_counter("genai_lab.cost", unit="USD")
    logger = logging.getLogger("sdk-floor")
    logger.addHandler(LoggingHandler(logger_provider=logger_provider))
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def span() -> None:
        # One server span and one GenAI span per pair: the two shapes of the request's spans.
        with tracer.start_as_current_span("POST /v1/chat/completions", attributes=SERVER_ATTRS):
            tracer.start_span("chat claude-haiku-4-5", attributes=GENAI_ATTRS).end()

    span_us = _cpu_us_per_item(span, tracer_provider.force_flush) / 2
    with tracer.start_as_current_span("request"):  # exemplars are offered in a sampled span
        histogram_us = _cpu_us_per_item(lambda: histogram.record(0.25, METRIC_ATTRS), None)
        counter_us = _cpu_us_per_item(lambda: counter.add(0.0003, METRIC_ATTRS), None)
        log_us = _cpu_us_per_item(
            lambda: logger.info("POST /v1/chat/completions 200"), logger_provider.force_flush
        )
    for provider in (tracer_provider, meter_provider, logger_provider):
        provider.shutdown()
    return Floor(span_us=span_us, histogram_us=histogram_us, counter_us=counter_us, log_us=log_us)


if __name__ == "__main__":
    floor = _child(sys.argv[1])
    print(json.dumps(asdict(floor)))
