"""configure(): resource, propagation, HTTP server metrics and lifespan, on a tiny FastAPI app."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry import propagate, trace

from genai_service.main import create_app
from genai_service.providers.instrumented import instrument_provider
from genai_service.settings import Settings as ServiceSettings
from lab_telemetry import exporters, setup
from lab_telemetry.instruments import catalogue

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Settings:
    service_name: str = "genai-service"
    service_namespace: str = "genai-lab"
    environment: str = "lab"


def tiny_app() -> FastAPI:
    app = FastAPI(telemetry=setup.fastapi_telemetry(Settings()))

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    setup.configure(app, Settings())
    return app


@pytest.fixture
def quiet(monkeypatch) -> None:
    monkeypatch.setenv("LOG_GENERATOR_ENABLED", "false")
    monkeypatch.setenv("SIMULATED_USERS_ENABLED", "false")


def test_http_server_duration_uses_stable_name_route_template_and_catalogue_buckets(
    pipeline, quiet
) -> None:
    with TestClient(tiny_app()) as client:
        assert client.get("/items/42").status_code == 200
        assert client.get("/items/43").status_code == 200
        assert client.get("/healthz").status_code == 200

    metrics = pipeline.metrics()
    assert "http.server.duration" not in metrics  # the old, millisecond name
    metric = metrics["http.server.request.duration"]
    spec = catalogue()["http.server.request.duration"]
    assert metric.unit == spec.unit == "s"
    points = [
        p for p in metric.data.data_points if p.attributes.get("http.route") == "/items/{item_id}"
    ]
    assert points, [dict(p.attributes) for p in metric.data.data_points]
    assert sum(p.count for p in points) >= 2
    assert tuple(points[0].explicit_bounds) == spec.buckets
    assert points[0].attributes["http.request.method"] == "GET"
    assert points[0].attributes["http.response.status_code"] == 200
    # No route carries a raw path: cardinality stays bounded.
    assert not any(
        str(p.attributes.get("http.route", "")).endswith(("/42", "/43"))
        for p in metric.data.data_points
    )

    names = [s.name for s in pipeline.spans()]
    assert "GET /items/{item_id}" in names
    assert not any("healthz" in n for n in names)


def test_histograms_carry_exemplars_linking_to_the_trace(pipeline, quiet) -> None:
    with TestClient(tiny_app()) as client:
        client.get("/items/7")
        # Exemplars cover the measurements since the previous collection, so collect before
        # anything flushes (the app's shutdown and pipeline.spans() both do).
        metric = pipeline.metrics()["http.server.request.duration"]
    server = next(s for s in pipeline.spans() if s.name == "GET /items/{item_id}")
    exemplar_traces = {
        e.trace_id for p in metric.data.data_points for e in p.exemplars if e.trace_id
    }
    assert server.context.trace_id in exemplar_traces


def test_budget_gauge_is_set_from_settings(pipeline, quiet) -> None:
    create_app(ServiceSettings(daily_budget_usd=12.5))
    points = pipeline.points("genai_lab.budget.daily_usd")
    assert [p.value for p in points] == [12.5]


def test_resource_defaults_and_environment_precedence(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,team=ai")
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "lab")
    attrs = setup.build_resource(None).attributes
    assert attrs["service.name"] == "genai-service"
    assert attrs["service.namespace"] == "genai-lab"
    assert attrs["service.version"]
    assert len(str(attrs["service.instance.id"])) == 36
    assert attrs["deployment.environment.name"] == "staging"  # OTEL_RESOURCE_ATTRIBUTES wins
    assert attrs["team"] == "ai"

    monkeypatch.setenv("OTEL_SERVICE_NAME", "aiops")
    assert setup.build_resource(None).attributes["service.name"] == "aiops"


def test_service_name_from_settings_for_other_apps(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)

    aiops = Settings(service_name="aiops")
    assert setup.build_resource(aiops).attributes["service.name"] == "aiops"


def test_propagators_and_id_generator_default_to_w3c_plus_xray(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_PROPAGATORS", raising=False)
    monkeypatch.delenv("OTEL_PYTHON_ID_GENERATOR", raising=False)
    fields = setup.build_propagator().fields
    assert {"traceparent", "baggage", "X-Amzn-Trace-Id"} <= set(fields)
    assert type(setup.build_id_generator()).__name__ == "AwsXRayIdGenerator"
    # The installed global propagator is the same composite.
    assert "X-Amzn-Trace-Id" in propagate.get_global_textmap().fields

    monkeypatch.setenv("OTEL_PROPAGATORS", "tracecontext")
    assert set(setup.build_propagator().fields) == {"traceparent", "tracestate"}
    monkeypatch.setenv("OTEL_PYTHON_ID_GENERATOR", "random")
    assert type(setup.build_id_generator()).__name__ == "RandomIdGenerator"


def test_xray_trace_ids_start_with_the_epoch_seconds() -> None:
    import time

    with trace.get_tracer("t").start_as_current_span("x") as span:
        trace_id = span.get_span_context().trace_id
    seconds = trace_id >> 96
    assert abs(seconds - time.time()) < 600


def test_exporter_selection_follows_standard_variables(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert exporters.exporter_names("traces") == ["otlp"]
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "prometheus,otlp")
    assert exporters.exporter_names("metrics") == ["prometheus", "otlp"]
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    assert exporters.exporter_names("logs") == []

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    assert type(exporters.span_exporter("otlp")).__module__.startswith(
        "opentelemetry.exporter.otlp.proto.http"
    )
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
    assert type(exporters.span_exporter("otlp")).__module__.startswith(
        "opentelemetry.exporter.otlp.proto.grpc"
    )
    with pytest.raises(ValueError):
        exporters.span_exporter("zipkin")


@pytest.mark.parametrize(
    ("signal", "build", "encoder"),
    [
        ("traces", exporters.span_exporter, "SpanEncoder"),
        ("metrics", exporters.metric_exporter, None),
        ("logs", exporters.log_exporter, "LogEncoder"),
    ],
)
def test_each_signal_gets_its_exporter_per_protocol(monkeypatch, signal, build, encoder) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    assert type(build("console")).__name__.startswith("Console")
    for protocol in ("grpc", "http/protobuf"):
        monkeypatch.setenv(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", protocol)
        exporter = build("otlp")
        try:
            kind = "grpc" if protocol == "grpc" else "http"
            assert type(exporter).__module__.startswith(f"opentelemetry.exporter.otlp.proto.{kind}")
            # gRPC spans and logs are encoded by the lab's encoders; the rest by the SDK.
            translate = vars(exporter).get("_translate_data")
            if protocol == "grpc" and encoder:
                assert type(translate.__self__).__name__ == encoder
            else:
                assert translate is None
        finally:
            exporter.shutdown()
    monkeypatch.setenv(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", "thrift")
    with pytest.raises(ValueError, match="thrift"):
        build("otlp")
    with pytest.raises(ValueError):
        build("zipkin")


def test_sdk_disabled_leaves_the_provider_unwrapped(monkeypatch) -> None:
    class P:
        name = "simulated"

    provider = P()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert instrument_provider(provider, None) is provider  # type: ignore[arg-type]
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    assert instrument_provider(provider, None) is not provider  # type: ignore[arg-type]


def test_views_cover_every_catalogued_histogram() -> None:
    views = [v._instrument_name for v in setup.metric_views()]
    # One view per instrument: two matching views would make two streams of one metric.
    assert len(views) == len(set(views))
    histograms = {s.name for s in catalogue().values() if s.instrument == "histogram"}
    assert histograms | set(setup.DROPPED_METRICS) <= set(views)
    assert not set(setup.DROPPED_METRICS) & set(catalogue())


def test_exemplars_only_on_the_instruments_the_catalogue_marks(pipeline) -> None:
    from lab_telemetry.instruments import instrument

    marked = {s.name for s in catalogue().values() if s.exemplars}
    # The latency histograms whose dashboard panels link to traces.
    assert marked == {
        "http.server.request.duration",
        "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk",
    }
    attrs = {"gen_ai.request.model": "exemplar-test"}
    with trace.get_tracer("tests.setup").start_as_current_span("sampled"):
        instrument("gen_ai.client.operation.duration").record(0.3, attrs)
        instrument("gen_ai.client.token.usage").record(12, attrs)
        instrument("genai_lab.cost.usd").add(0.01, attrs)
    # One collection: a collection hands over, and empties, every reservoir.
    metrics = pipeline.metrics()

    def exemplars(name: str) -> list:
        (point,) = [
            p
            for p in metrics[name].data.data_points
            if p.attributes.get("gen_ai.request.model") == "exemplar-test"
        ]
        return list(point.exemplars)

    assert [e.span_id for e in exemplars("gen_ai.client.operation.duration")]
    assert exemplars("gen_ai.client.token.usage") == []
    assert exemplars("genai_lab.cost.usd") == []


def test_libraries_are_instrumented_and_bedrock_genai_comes_only_from_the_seam(pipeline) -> None:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    assert HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    botocore = BotocoreInstrumentor()
    assert botocore.is_instrumented_by_opentelemetry
    # botocore's Bedrock extension would emit gen_ai.client.* metrics a second time.
    assert "bedrock-runtime" not in botocore.extension_registry._extensions
    assert "sqs" in botocore.extension_registry._extensions


class RecordingBackground:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")


def test_background_runs_while_the_app_runs(pipeline) -> None:
    background = RecordingBackground()
    app = FastAPI()
    setup.configure(app, Settings(), background=background)
    with TestClient(app):
        assert background.calls == ["start"]
    assert background.calls == ["start", "stop"]


def test_aiops_runs_no_background_activity(monkeypatch) -> None:
    # The service's generated logs and simulated users must not run in aiops, whatever the
    # environment says.
    from aiops import telemetry as aiops_telemetry
    from aiops.settings import Settings as AiopsSettings

    monkeypatch.setenv("LOG_GENERATOR_ENABLED", "true")
    monkeypatch.setenv("SIMULATED_USERS_ENABLED", "true")
    seen: list[object] = []
    monkeypatch.setattr(setup, "_wrap_lifespan", lambda app, background: seen.append(background))
    aiops_telemetry.configure(FastAPI(), AiopsSettings())
    assert seen == [None]


def test_the_service_runs_its_background_activity(monkeypatch) -> None:
    from genai_service.background import BackgroundActivity

    seen: list[object] = []
    monkeypatch.setattr(setup, "_wrap_lifespan", lambda app, background: seen.append(background))
    create_app(ServiceSettings())
    assert [type(b) for b in seen] == [BackgroundActivity]


def test_fastapi_telemetry_is_fastapis_public_config_set_for_the_lab(pipeline, quiet) -> None:
    config = setup.fastapi_telemetry(Settings())
    assert config["tracer_provider"] is pipeline.telemetry.tracer_provider
    assert config["meter_provider"] is pipeline.telemetry.meter_provider
    assert (config["tracing"], config["metrics"]) == (True, True)
    # One server span per request, and no second copy of logged errors as OTLP events.
    assert (config["operation_spans"], config["logs"]) == (False, False)
    assert config["exclude"]({"path": "/healthz"}) and config["exclude"]({"path": "/readyz"})
    assert not config["exclude"]({"path": "/v1/chat/completions"})

    with TestClient(tiny_app()) as client:
        assert client.get("/items/5").status_code == 200
    spans = [s for s in pipeline.spans() if s.context.trace_id == _trace_of(pipeline, "/items/5")]
    assert [(s.name, s.kind) for s in spans] == [("GET /items/{item_id}", trace.SpanKind.SERVER)]


def _trace_of(pipeline, path: str) -> int:
    span = next(s for s in pipeline.spans() if s.attributes.get("url.path") == path)
    return span.context.trace_id


def test_contrib_instrumentation_replaces_fastapis_own(pipeline, quiet, monkeypatch) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_INSTRUMENTATION", "contrib")
    assert setup.fastapi_telemetry(Settings()) == {
        "tracing": False,
        "metrics": False,
        "logs": False,
    }
    with TestClient(tiny_app()) as client:
        assert client.get("/items/6").status_code == 200
        assert client.get("/healthz").status_code == 200
    servers = [s for s in pipeline.spans() if s.kind == trace.SpanKind.SERVER]
    # Exactly one server span for the request, from the contrib instrumentor; none for health.
    assert [(s.name, s.instrumentation_scope.name) for s in servers] == [
        ("GET /items/{item_id}", "opentelemetry.instrumentation.fastapi")
    ]
