"""An OTLP receiver for tests: real OTLP/HTTP and OTLP/gRPC endpoints that decode what arrives.

It stands where the collector would, on a free loopback port, and keeps every request both
decoded (the opentelemetry-proto messages) and raw (the uncompressed protobuf bytes, which is
what a PII search must look at: every string the service sent is in there verbatim).
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from tools.processes import free_port
from tools.recorder import QuietHandler, serving

# (request, response) message classes by signal.
REQUEST_TYPES: dict[str, tuple[type[Message], type[Message]]] = {
    "traces": (
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
    ),
    "metrics": (
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
    "logs": (
        logs_service_pb2.ExportLogsServiceRequest,
        logs_service_pb2.ExportLogsServiceResponse,
    ),
}


@dataclass
class Received:
    """Everything received, by signal; thread-safe appends from the server threads."""

    requests: dict[str, list[Any]] = field(
        default_factory=lambda: {"traces": [], "metrics": [], "logs": []}
    )
    raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, signal: str, body: bytes) -> Any:
        request_type, _ = REQUEST_TYPES[signal]
        message = request_type()
        message.ParseFromString(body)
        with self.lock:
            self.requests[signal].append(message)
            self.raw.append(body)
        return message

    # ---- views used by the assertions

    def resources(self, signal: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.lock:
            for req in self.requests[signal]:
                for rs in _resource_groups(signal, req):
                    out.append(attributes(rs.resource.attributes))
        return out

    def spans(self) -> list[tuple[dict[str, Any], Any]]:
        """(resource attributes, Span) for every span received."""
        out: list[tuple[dict[str, Any], Any]] = []
        with self.lock:
            for req in self.requests["traces"]:
                for rs in req.resource_spans:
                    resource = attributes(rs.resource.attributes)
                    for ss in rs.scope_spans:
                        out.extend((resource, span) for span in ss.spans)
        return out

    def log_records(self) -> list[Any]:
        with self.lock:
            return [
                record
                for req in self.requests["logs"]
                for rl in req.resource_logs
                for sl in rl.scope_logs
                for record in sl.log_records
            ]

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> every Metric message received under it."""
        out: dict[str, list[Any]] = {}
        with self.lock:
            for req in self.requests["metrics"]:
                for rm in req.resource_metrics:
                    for sm in rm.scope_metrics:
                        for metric in sm.metrics:
                            out.setdefault(metric.name, []).append(metric)
        return out

    def all_bytes(self) -> bytes:
        with self.lock:
            return b"\n".join(self.raw)

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 20) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return condition()


def _resource_groups(signal: str, request: Any) -> Any:
    return {
        "traces": lambda r: r.resource_spans,
        "metrics": lambda r: r.resource_metrics,
        "logs": lambda r: r.resource_logs,
    }[signal](request)


def any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in kvs}


def _decompress(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


@contextlib.contextmanager
def otlp_http_receiver() -> Iterator[tuple[str, Received]]:
    """OTLP/HTTP (protobuf) on a free port; yields (base endpoint URL, Received)."""
    received = Received()
    paths = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            signal = paths.get(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if signal is None:
                self.send_response(404)
                self.end_headers()
                return
            body = _decompress(body, self.headers.get("Content-Encoding"))
            received.add(signal, body)
            response = REQUEST_TYPES[signal][1]().SerializeToString()
            self.answer(200, response, "application/x-protobuf")

    with serving(Handler) as url:
        yield url, received


@contextlib.contextmanager
def otlp_grpc_receiver() -> Iterator[tuple[str, Received]]:
    """OTLP/gRPC on a free port; yields (endpoint URL, Received)."""
    import grpc

    received = Received()

    def servicer(base: type, signal: str) -> Any:
        class Servicer(base):
            def Export(self, request: Any, context: Any) -> Any:
                received.add(signal, request.SerializeToString())
                return REQUEST_TYPES[signal][1]()

        return Servicer()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
        servicer(trace_service_pb2_grpc.TraceServiceServicer, "traces"), server
    )
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
        servicer(metrics_service_pb2_grpc.MetricsServiceServicer, "metrics"), server
    )
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(
        servicer(logs_service_pb2_grpc.LogsServiceServicer, "logs"), server
    )
    port = server.add_insecure_port(f"127.0.0.1:{free_port()}")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.stop(grace=None)


def _serve_sink(port: int) -> None:
    """A counting OTLP/gRPC sink for benchmarks: accepts and answers, decodes nothing."""
    import grpc

    counts = {"requests": 0, "bytes": 0}

    def handler(signal: str) -> Any:
        response = REQUEST_TYPES[signal][1]().SerializeToString()

        def export(request: bytes, context: Any) -> bytes:
            counts["requests"] += 1
            counts["bytes"] += len(request)
            return response

        return grpc.unary_unary_rpc_method_handler(
            export, request_deserializer=None, response_serializer=None
        )

    services = {
        "opentelemetry.proto.collector.trace.v1.TraceService": "traces",
        "opentelemetry.proto.collector.metrics.v1.MetricsService": "metrics",
        "opentelemetry.proto.collector.logs.v1.LogsService": "logs",
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    for service, signal in services.items():
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, {"Export": handler(signal)}),)
        )
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"otlp sink listening on 127.0.0.1:{port}", flush=True)
    try:
        server.wait_for_termination()
    finally:
        print(f"otlp sink received {counts}", flush=True)


if __name__ == "__main__":
    import sys

    _serve_sink(int(sys.argv[1]))
