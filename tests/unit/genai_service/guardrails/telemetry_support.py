"""Local SDK providers for guardrail tests: metrics and spans in memory, no global state."""

from __future__ import annotations

from functools import cache
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

KINDS = {
    "genai_lab.security.events": "counter",
    "genai_lab.security.pii.detections": "counter",
    "genai_lab.requests.limited": "counter",
    "genai_lab.tenant.budget.remaining": "gauge",
    "genai_lab.guardrails.injection.score": "histogram",
}


class LocalTelemetry:
    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.meter = MeterProvider(metric_readers=[self.reader]).get_meter("test")
        self.spans = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.tracer = provider.get_tracer("test")
        self.instruments = cache(self._make)

    def _make(self, name: str) -> Any:
        kind = KINDS[name]
        if kind == "counter":
            return self.meter.create_counter(name)
        if kind == "gauge":
            return self.meter.create_gauge(name)
        return self.meter.create_histogram(name)

    def points(self, name: str) -> list[tuple[dict[str, Any], float]]:
        data = self.reader.get_metrics_data()
        out = []
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    if metric.name == name:
                        for p in metric.data.data_points:
                            value = p.value if hasattr(p, "value") else p.sum
                            out.append((dict(p.attributes), value))
        return out
