"""OpenTelemetry set-up: the one module that configures traces, metrics and logs.

Two entry points, used by every FastAPI app in the lab (genai-service and aiops):

    FastAPI(..., telemetry=fastapi_telemetry(settings))
                                          FastAPI's own OpenTelemetry support, set for the lab
    configure(app, settings, background=...)  once per app, from the app factory

Everything is driven by the standard OTEL_* variables, read by the SDK where it reads them
itself and here otherwise:
    OTEL_SDK_DISABLED=true        nothing is set up (no providers, no instrumentation);
                                  stdout logging still works
    OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES   override the resource below
    OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER
                                  otlp (default), console, none; metrics also prometheus
                                  (OTEL_EXPORTER_PROMETHEUS_HOST/PORT, default localhost:9464)
    OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (grpc default, http/protobuf),
    the per-signal variants, headers, timeout    read by the OTLP exporters
    OTEL_TRACES_SAMPLER(_ARG)     read by the TracerProvider (parentbased_always_on default)
    OTEL_METRIC_EXPORT_INTERVAL   read by the periodic reader (60000 ms default)
    OTEL_BSP_* / OTEL_BLRP_*      batch processor queue sizes and delays (bounded memory;
                                  unset, queues of 8192 and batches of 1024 here)
    OTEL_PROPAGATORS              default here: tracecontext,baggage,xray
    OTEL_PYTHON_ID_GENERATOR      default here: xray (trace ids X-Ray accepts)
    OTEL_SEMCONV_STABILITY_OPT_IN "http" is added so FastAPI emits the stable
                                  http.server.request.duration in seconds
    FASTAPI_OTEL_INSTRUMENTATION  native (default): FastAPI's own OpenTelemetry support traces
                                  and meters requests; contrib: opentelemetry-instrumentation-
                                  fastapi instead
    GC_FREEZE_AFTER_STARTUP       true (default): gc.freeze() once the app has started
Resource: service.name (settings, else "genai-service"), service.namespace genai-lab,
service.version, service.instance.id (a UUID per process), deployment.environment.name
(DEPLOYMENT_ENVIRONMENT, default lab).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry.sdk.metrics import ExemplarReservoir

from lab_telemetry import logs as log_setup
from lab_telemetry import runtime
from lab_telemetry.drops import DropCounter, ExportNoiseFilter, install_sdk_queue_filter
from lab_telemetry.instruments import catalogue
from lab_telemetry.sdk_private import drop_botocore_extension


class TelemetrySettings(Protocol):
    """What the set-up reads from a service's settings: the resource's defaults."""

    @property
    def service_name(self) -> str: ...

    @property
    def service_namespace(self) -> str: ...

    @property
    def environment(self) -> str: ...


class Background(Protocol):
    """Work a service runs while its app runs (the genai-service's demo traffic)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


DEFAULT_SERVICE_NAME = "genai-service"
SERVICE_NAMESPACE = "genai-lab"
DEFAULT_PROPAGATORS = "tracecontext,baggage,xray"
DEFAULT_ID_GENERATOR = "xray"
HEALTH_URLS = "/healthz,/readyz"
_FLUSH_TIMEOUT_S = 5.0
DROPPED_METRICS = (
    "http.server.request.body.size",
    "http.server.response.body.size",
    "http.client.request.body.size",
    "http.client.response.body.size",
)
# Resource attributes copied onto every natively scraped series, as the collector's
# resource_to_telemetry_conversion does (catalogue.yaml resource_labels).
PROMETHEUS_RESOURCE_LABELS = frozenset(
    {"service.name", "service.namespace", "deployment.environment.name"}
)

P = TypeVar("P")
_log = logging.getLogger("lab_telemetry")


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "false").strip().lower() == "true"


def service_version() -> str:
    try:
        return importlib.metadata.version("genai-observability-lab")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def resource_attributes(settings: TelemetrySettings | None = None) -> dict[str, Any]:
    """The lab's resource defaults; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win."""
    return {
        "service.name": (settings and settings.service_name) or DEFAULT_SERVICE_NAME,
        "service.namespace": (settings and settings.service_namespace) or SERVICE_NAMESPACE,
        "service.version": service_version(),
        "service.instance.id": str(uuid.uuid4()),
        "deployment.environment.name": os.environ.get("DEPLOYMENT_ENVIRONMENT")
        or (settings and settings.environment)
        or "lab",
    }


def build_resource(settings: TelemetrySettings | None = None) -> Any:
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource

    env = OTELResourceDetector().detect().attributes
    # Resource.create lets its argument win over the environment; merging the environment in
    # first keeps the standard precedence (OTEL_* over code defaults).
    return Resource.create({**resource_attributes(settings), **env})


def _entry_point(group: str, name: str) -> Any:
    found = importlib.metadata.entry_points(group=group, name=name)
    if not found:
        raise ValueError(f"no {group} entry point named {name!r}")
    return next(iter(found)).load()


def build_propagator() -> Any:
    from opentelemetry.propagators.composite import CompositePropagator

    raw = os.environ.get("OTEL_PROPAGATORS", DEFAULT_PROPAGATORS)
    names = [n.strip() for n in raw.split(",") if n.strip() and n.strip() != "none"]
    return CompositePropagator([_entry_point("opentelemetry_propagator", n)() for n in names])


def build_id_generator() -> Any:
    name = os.environ.get("OTEL_PYTHON_ID_GENERATOR", DEFAULT_ID_GENERATOR).strip()
    return _entry_point("opentelemetry_id_generator", name)()


def metric_views() -> list[Any]:
    """One View per catalogued instrument: its bucket boundaries, and no exemplars unless the
    catalogue asks for them.

    Instruments created through instruments.instrument() already carry the boundaries as
    advice; the views make the catalogue win for instruments created elsewhere too (FastAPI's
    http.server.request.duration), whatever a library's advice says. Exemplars stay on the
    latency histograms whose panels link to traces; elsewhere each measurement would pay a
    reservoir offer that nothing reads.
    """
    from opentelemetry.sdk.metrics.view import (
        DropAggregation,
        ExplicitBucketHistogramAggregation,
        View,
    )

    views = []
    for spec in catalogue().values():
        options: dict[str, Any] = {}
        if spec.instrument == "histogram" and spec.buckets:
            options["aggregation"] = ExplicitBucketHistogramAggregation(
                boundaries=list(spec.buckets)
            )
        if not spec.exemplars:
            options["exemplar_reservoir_factory"] = _no_exemplars
        if options:
            views.append(View(instrument_name=spec.name, **options))
    # Body-size histograms from the HTTP instrumentations: many series, no dashboard or rule
    # uses them, and they are not in the catalogue.
    dropped = [
        View(instrument_name=name, aggregation=DropAggregation()) for name in DROPPED_METRICS
    ]
    return views + dropped


class NoExemplars(ExemplarReservoir):
    """An exemplar reservoir that keeps nothing, for instruments whose exemplars no one reads."""

    def __init__(self, **_: Any) -> None:
        pass

    def offer(self, value: Any, time_unix_nano: int, attributes: Any, context: Any) -> None:
        return None

    def collect(self, point_attributes: Any) -> list[Any]:
        return []


def _no_exemplars(_aggregation: type) -> type[NoExemplars]:
    return NoExemplars


def ensure_stable_http_semconv() -> None:
    """Make the HTTP instrumentations emit stable names (http.server.request.duration, s).

    opentelemetry-instrumentation 0.66b2 still defaults to the old names
    (http.server.duration in ms) unless OTEL_SEMCONV_STABILITY_OPT_IN lists http or
    http/dup; it reads the variable once, when the first instrumentor runs.
    """
    raw = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if "http" not in values and "http/dup" not in values:
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = ",".join([*values, "http"])


@dataclass
class Telemetry:
    """The process's telemetry pipeline; one per process (providers are global)."""

    drops: DropCounter
    log_handler: log_setup.TelemetryLogHandler
    tracer_provider: Any = None
    meter_provider: Any = None
    logger_provider: Any = None
    prometheus_server: Any = None
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _shut_down: bool = False

    @property
    def enabled(self) -> bool:
        return self.tracer_provider is not None

    def force_flush(self, timeout_millis: int = 5000) -> None:
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):
                    provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and stop every exporter; later telemetry is dropped (and counted)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.drops.stop()
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):
                    provider.shutdown()
        if self.prometheus_server is not None:
            server, thread = self.prometheus_server
            server.shutdown()
            thread.join(timeout=2)
        for undo in self._undo:
            undo()


def _drop_report_interval_s() -> float:
    raw = os.environ.get("TELEMETRY_DROP_REPORT_INTERVAL_S", "")
    try:
        return float(raw) if raw else 30.0
    except ValueError:
        return 30.0


# Batch processor sizes when OTEL_BSP_* / OTEL_BLRP_* leave them unset. The SDK's defaults
# (queue 2048, batches of 512) mean an export every ~170 spans/s per core of traffic; bigger
# batches cost less per item (one request, one resource and scope encoding, fewer GIL
# hand-overs between the worker and the event loop). Memory stays bounded by the queue:
# 8192 spans of ~2 KB is ~16 MB at worst; 1024 spans per request stays far under the 4 MiB
# gRPC message limit of the collector.
BATCH_MAX_QUEUE_SIZE = 8192
BATCH_MAX_EXPORT_SIZE = 1024


def _batch_sizes(prefix: str) -> tuple[int | None, int | None]:
    """Queue and batch size of a batch processor: ours, or None where OTEL_{prefix}_* sets one
    (the SDK then reads the variable itself)."""
    queue_env = os.environ.get(f"OTEL_{prefix}_MAX_QUEUE_SIZE")
    queue = None if queue_env else BATCH_MAX_QUEUE_SIZE
    batch = None
    if not os.environ.get(f"OTEL_{prefix}_MAX_EXPORT_BATCH_SIZE"):
        batch = min(BATCH_MAX_EXPORT_SIZE, queue or int(queue_env or "2048"))
    return queue, batch


def _batched(processor: Callable[..., P], exporter: object, prefix: str) -> P:
    queue, batch = _batch_sizes(prefix)
    return processor(exporter, max_queue_size=queue, max_export_batch_size=batch)


def _prometheus_reader(resource_filter: Callable[[str], bool]) -> tuple[Any, Any]:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, start_http_server

    # A registry of our own: the scrape then holds exactly what the collector path would
    # write (no prometheus_client process/gc series the OTLP path does not have).
    registry = CollectorRegistry(auto_describe=True)
    reader = PrometheusMetricReader(registry=registry, resource_attribute_filter=resource_filter)
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost")
    port = int(os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"))
    server = start_http_server(port, addr=host, registry=registry)
    return reader, server


def start_telemetry(
    settings: TelemetrySettings | None = None,
    *,
    span_exporters: Sequence[Any] | None = None,
    metric_readers: Sequence[Any] | None = None,
    log_exporters: Sequence[Any] | None = None,
    log_stream: Any = None,
) -> Telemetry:
    """Build and install the global providers and the logging pipeline.

    Exporters and readers default to what the OTEL_* variables ask for; tests pass in-memory
    ones. Span and log exporters are wrapped in the redacting, drop-counting guards either
    way, so tests see exactly what would leave the process.
    """
    drops = DropCounter(report_interval_s=_drop_report_interval_s())
    stdout = log_setup.stdout_sink(log_stream)
    if sdk_disabled():
        handler = log_setup.install([stdout])
        return Telemetry(drops=drops, log_handler=handler)

    from opentelemetry import metrics, trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.propagate import set_global_textmap
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from lab_telemetry import exporters as ex

    resource = build_resource(settings)
    set_global_textmap(build_propagator())
    ensure_stable_http_semconv()

    # Metrics first: the other providers' exporters may count drops into them.
    prometheus_server = None
    if metric_readers is None:
        readers: list[Any] = []
        for name in ex.exporter_names("metrics"):
            if name == "prometheus":
                reader, prometheus_server = _prometheus_reader(
                    lambda key: key in PROMETHEUS_RESOURCE_LABELS
                )
                readers.append(reader)
            else:
                readers.append(
                    PeriodicExportingMetricReader(
                        ex.GuardedMetricExporter(ex.metric_exporter(name), drops)
                    )
                )
    else:
        readers = list(metric_readers)
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=metric_views())
    metrics.set_meter_provider(meter_provider)

    if span_exporters is None:
        span_exporters = [ex.span_exporter(n) for n in ex.exporter_names("traces")]
    tracer_provider = TracerProvider(resource=resource, id_generator=build_id_generator())
    for exporter in span_exporters:
        guarded = ex.GuardedSpanExporter(exporter, drops)
        tracer_provider.add_span_processor(_batched(BatchSpanProcessor, guarded, "BSP"))
    trace.set_tracer_provider(tracer_provider)

    if log_exporters is None:
        log_exporters = [ex.log_exporter(n) for n in ex.exporter_names("logs")]
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(ex.RedactingLogRecordProcessor())
    for exporter in log_exporters:
        guarded_logs = ex.GuardedLogExporter(exporter, drops)
        logger_provider.add_log_record_processor(
            _batched(BatchLogRecordProcessor, guarded_logs, "BLRP")
        )
    set_logger_provider(logger_provider)

    sinks = [stdout]
    if log_exporters:
        sinks.append(log_setup.otlp_sink(logger_provider))
    handler = log_setup.install([*sinks], extra_filters=[ExportNoiseFilter(drops)])
    providers = (tracer_provider, meter_provider, logger_provider)
    telemetry = Telemetry(drops, handler, *providers, prometheus_server=prometheus_server)
    telemetry._undo.append(install_sdk_queue_filter(drops))
    _instrument_libraries(*providers)
    telemetry._undo.append(runtime.instrument_runtime(meter_provider))
    drops.start()
    return telemetry


def _instrument_libraries(tracer_provider: Any, meter_provider: Any, logger_provider: Any) -> None:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    httpx_instrumentor = HTTPXClientInstrumentor()
    if not httpx_instrumentor.is_instrumented_by_opentelemetry:
        httpx_instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider
        )
    botocore_instrumentor = BotocoreInstrumentor()
    if not botocore_instrumentor.is_instrumented_by_opentelemetry:
        botocore_instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
        )
        # The service's GenAI seam is the one source of gen_ai.* telemetry. botocore's Bedrock
        # extension would record gen_ai.client.* metrics a second time for the same call, so
        # Bedrock calls keep the plain AWS SDK span (a child of the seam's span) only.
        drop_botocore_extension(botocore_instrumentor, "bedrock-runtime")


# ------------------------------------------------------------------------ process state

_telemetry: Telemetry | None = None


def current() -> Telemetry | None:
    return _telemetry


def _pipeline(settings: TelemetrySettings | None) -> Telemetry:
    """The process's pipeline, started by the first caller."""
    global _telemetry
    if _telemetry is None or _telemetry._shut_down:
        _telemetry = start_telemetry(settings)
    return _telemetry


def _contrib_instrumentation() -> bool:
    return os.environ.get("FASTAPI_OTEL_INSTRUMENTATION", "native").strip().lower() == "contrib"


def _excluded_urls() -> str:
    return os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") or HEALTH_URLS


def fastapi_telemetry(settings: TelemetrySettings | None = None) -> TelemetryConfig:
    """The `telemetry=` argument of FastAPI(...): its own OpenTelemetry support, set for the lab.

        app = FastAPI(title=..., telemetry=fastapi_telemetry(settings))
        configure(app, settings)

    FastAPI (0.16x) traces and meters requests itself: one SERVER span per request named
    "{method} {route}" with the stable HTTP attributes, and http.server.request.duration /
    http.server.active_requests with stable names only. It takes the route from the router's
    own match, sets the span's attributes once and records no body-size histograms, so it costs
    a fraction of the contrib ASGI middleware (opentelemetry-instrumentation-fastapi), which
    re-matches the route, decodes the headers several times and sets every attribute twice.

    Set here: this process's providers (started now if need be); operation spans off (one
    server span per request); FastAPI's own OTLP log events off (validation failures and
    unhandled exceptions are logged through the stdlib pipeline already); health checks
    excluded (OTEL_PYTHON_FASTAPI_EXCLUDED_URLS, matched against the path). Everything off
    with OTEL_SDK_DISABLED=true, and with FASTAPI_OTEL_INSTRUMENTATION=contrib, where
    configure() puts the contrib instrumentor on the app instead.
    """
    telemetry = _pipeline(settings)
    if not telemetry.enabled or _contrib_instrumentation():
        return {"tracing": False, "metrics": False, "logs": False}
    from opentelemetry.util.http import parse_excluded_urls

    excludes = parse_excluded_urls(_excluded_urls())

    def exclude(scope: Any) -> bool:
        # Against the path: the contrib instrumentor matches the full URL; the lab's
        # patterns are paths.
        return excludes.url_disabled(scope.get("path", ""))

    return {
        "tracer_provider": telemetry.tracer_provider,
        "meter_provider": telemetry.meter_provider,
        "logger_provider": telemetry.logger_provider,
        "tracing": True,
        "metrics": True,
        "logs": False,
        "operation_spans": False,
        "exclude": exclude,
    }


def configure(
    app: FastAPI, settings: TelemetrySettings, *, background: Background | None = None
) -> None:
    """Set up telemetry for this process (once) and for this app (each call).

    The app is expected to be built with `telemetry=fastapi_telemetry(settings)`, which
    starts the pipeline and has FastAPI trace and meter its requests. Safe to call for
    several apps in one process (tests build many): providers, logging and library
    instrumentation are process-wide and set up by the first call only.
    """
    telemetry = _pipeline(settings)
    if telemetry.enabled and _contrib_instrumentation():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=telemetry.tracer_provider,
            meter_provider=telemetry.meter_provider,
            excluded_urls=_excluded_urls(),
            # One server span per request; the per-message receive/send spans cost more
            # than they tell.
            exclude_spans=["receive", "send"],
        )
    _wrap_lifespan(app, background)


def _wrap_lifespan(app: FastAPI, background: Background | None) -> None:
    """Run background activity while the app runs; flush telemetry when it stops."""
    router = getattr(app, "router", None)
    if router is None or getattr(router, "_telemetry_wrapped", False):
        return
    inner = router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        if background is not None:
            background.start()
        try:
            async with inner(app_) as state, runtime.event_loop_lag(enabled=not sdk_disabled()):
                _freeze_startup_objects()
                yield state
        finally:
            if background is not None:
                await background.stop()
            telemetry = _telemetry
            if telemetry is not None:
                _log.info("application stopping, flushing telemetry")
                # The flush has to happen here: uvicorn ends a SIGTERM'd process by re-raising
                # the signal, so atexit hooks (the providers' own shutdown) never run. Flush,
                # not shut down: the process may serve another app (tests). Bounded, so a dead
                # collector cannot hold up the stop.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.to_thread(telemetry.force_flush), _FLUSH_TIMEOUT_S
                    )

    router.lifespan_context = lifespan
    router._telemetry_wrapped = True


def _freeze_startup_objects() -> None:
    """Move everything alive after start-up out of the cyclic GC's reach (gc.freeze).

    The modules, routes, pydantic models and SDK objects of start-up live as long as the
    process, yet every full collection walks them all again. With telemetry on, spans and log
    records waiting in the batch queues survive the young generations, so full collections
    come every few thousand requests and cost ~65 ms each. Frozen, a full collection walks
    only what was created since: the telemetry benchmark's "on" arm went from ~980 to ~860 us
    of CPU per request. GC_FREEZE_AFTER_STARTUP=false turns it off.
    """
    if os.environ.get("GC_FREEZE_AFTER_STARTUP", "true").strip().lower() in ("false", "0", "no"):
        return
    import gc

    # No gc.collect() first: it would cost every app start (tests build hundreds) a full
    # collection, to save the little garbage start-up leaves.
    gc.freeze()


def shutdown() -> None:
    """Flush and stop the process's telemetry (tests, and processes without a lifespan)."""
    global _telemetry
    if _telemetry is not None:
        _telemetry.shutdown()
        _telemetry = None
