"""The service as a real uvicorn process, exporting OTLP to a receiver that decodes the protobufs.

Run over OTLP/HTTP and OTLP/gRPC. Asserts what reaches the collector: resource attributes,
GenAI spans per the conventions, metrics, logs carrying trace ids, that a corpus of PII planted
in prompts, headers, paths and log fields appears nowhere in the bytes, and that shutdown
flushes. A second test points the service at an endpoint where nothing listens.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from tools.otlp_receiver import (
    Received,
    attributes,
    otlp_grpc_receiver,
    otlp_http_receiver,
)
from tools.processes import INSTANT_MODEL, free_port, prometheus_exporter_env, run_service

pytestmark = pytest.mark.contract

CHAT_MODEL = "claude-haiku-4-5"
EMBED_MODEL = "titan-embed-text-v2"

# One instance of each PII type, planted where a careless service would leak it.
PII = {
    "email": "olivia.pope@example.com",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "ssn": "123-45-6789",
    "ipv4": "203.0.113.77",
    "ipv6": "2001:db8::8a2e:370:7334",
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.sig",
}
CORPUS = (
    f"Hi, I am Olivia, mail {PII['email']} or call {PII['phone']}. My card is {PII['card']}, "
    f"IBAN {PII['iban']}, SSN {PII['ssn']}. I connect from {PII['ipv4']} and {PII['ipv6']}. "
    f"Key {PII['aws_key']} secret {PII['aws_secret']}."
)
# Compact forms too: a leak may have lost the spaces.
FORBIDDEN = [
    *PII.values(),
    "4111111111111111",
    "4111+1111+1111+1111",
    "GB82WEST12345698765432",
    "olivia.pope",
    # X-User-ID: only its keyed hash may leave the process.
    "alice@example.com",
    "alice",
]
USER = "alice@example.com"
CALL_RECORD = "genai_lab.call"


def exporter_env(endpoint: str, protocol: str) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "5000",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        "DEPLOYMENT_ENVIRONMENT": "contract-test",
        **INSTANT_MODEL,
        "LOG_GENERATOR_ENABLED": "true",
        "LOG_GENERATOR_RATE_PER_S": "10",
        "SIMULATED_USERS_ENABLED": "true",
        "CACHE_ENABLED": "false",
        # The planted bearer token is a valid API key, so requests get through the guardrails.
        "API_KEYS": f"{PII['bearer']}:acme:enterprise",
        "RATE_LIMITS_ENABLED": "false",
        "USER_ID_HASH_KEY": "contract-test-user-id-hash-key",
    }


@contextlib.contextmanager
def receiver(protocol: str) -> Iterator[tuple[str, Received]]:
    factory = otlp_http_receiver if protocol == "http/protobuf" else otlp_grpc_receiver
    with factory() as (endpoint, received):
        yield endpoint, received


def send_traffic(base_url: str) -> None:
    headers = {
        "Authorization": f"Bearer {PII['bearer']}",
        "X-Tenant-ID": "acme",
        "X-User-Email": PII["email"],
        "X-User-ID": USER,
        "User-Agent": f"contract-test ({PII['email']})",
        "X-Forwarded-For": PII["ipv4"],
    }
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        chat = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": CORPUS}]}
        assert client.post("/v1/chat/completions", json=chat).status_code == 200
        stream = client.post("/v1/chat/completions", json={**chat, "stream": True})
        assert stream.status_code == 200
        embed = client.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": [CORPUS]})
        assert embed.status_code == 200
        # PII in the path and the query string (the access log prints both).
        client.get(f"/v1/models/{PII['email']}", params={"card": PII["card"]})
        # A model name with PII in it: rejected, and the rejection is logged.
        bad = client.post(
            "/v1/chat/completions",
            json={**chat, "model": f"gpt-{PII['ssn']}-{PII['email']}"},
        )
        assert 400 <= bad.status_code < 500
        # An unhandled exception: logged with its traceback, recorded on the span.
        client.get("/crash", params={"note": PII["email"]})


def gen_ai_span(received: Received, name: str) -> tuple[dict, dict]:
    for resource, span in received.spans():
        if span.name == name:
            return resource, attributes(span.attributes)
    raise AssertionError(f"no span {name!r} in {[s.name for _, s in received.spans()]}")


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_service_exports_correlated_redacted_otlp(protocol: str) -> None:
    with receiver(protocol) as (endpoint, received):
        with run_service(exporter_env(endpoint, protocol)) as service:
            send_traffic(service.base_url)
            assert received.wait_for(
                lambda: (
                    any(s.name == f"chat {CHAT_MODEL}" for _, s in received.spans())
                    and "gen_ai.client.operation.duration" in received.metrics()
                    and "http.server.request.duration" in received.metrics()
                    and any(r.trace_id for r in received.log_records())
                )
            ), service.output()[-3000:]
            logs_before_stop = len(received.log_records())
        # Stopped with SIGTERM: the lifespan's shutdown flush sends what was still queued,
        # down to the line logged just before it (the batch delay alone would lose it).
        assert received.wait_for(
            lambda: any(
                r.body.string_value == "application stopping, flushing telemetry"
                for r in received.log_records()
            ),
            timeout_s=10,
        ), "the last log line before the flush never arrived: shutdown did not flush"
        assert len(received.log_records()) > logs_before_stop

    # -- resource
    for signal in ("traces", "metrics", "logs"):
        for resource in received.resources(signal):
            assert resource["service.name"] == "genai-service"
            assert resource["service.namespace"] == "genai-lab"
            assert resource["deployment.environment.name"] == "contract-test"
            assert resource["service.version"]
            assert resource["service.instance.id"]

    # -- GenAI spans (semantic conventions v1.41)
    _, chat = gen_ai_span(received, f"chat {CHAT_MODEL}")
    assert chat["gen_ai.operation.name"] == "chat"
    assert chat["gen_ai.provider.name"] == "simulated"
    assert chat["gen_ai.request.model"] == CHAT_MODEL
    assert chat["gen_ai.response.model"]
    assert chat["gen_ai.response.finish_reasons"]
    assert chat["gen_ai.usage.input_tokens"] > 0 and chat["gen_ai.usage.output_tokens"] > 0
    assert chat["genai_lab.cost.usd"] > 0
    assert "[REDACTED:" in chat["gen_ai.input.messages"]  # captured, and redacted
    _, embed = gen_ai_span(received, f"embeddings {EMBED_MODEL}")
    assert embed["gen_ai.operation.name"] == "embeddings"
    kinds = {s.name: s.kind for _, s in received.spans()}
    assert kinds[f"chat {CHAT_MODEL}"] == 3  # SPAN_KIND_CLIENT
    assert "POST /v1/chat/completions" in kinds
    crash = [s for _, s in received.spans() if s.name == "GET /crash"]
    assert crash and crash[0].status.code == 2  # STATUS_CODE_ERROR

    # -- metrics
    metrics = received.metrics()
    http = metrics["http.server.request.duration"][-1]
    assert http.unit == "s"
    routes = {attributes(p.attributes).get("http.route") for p in http.histogram.data_points}
    assert "/v1/chat/completions" in routes
    assert not any(PII["email"] in str(r) for r in routes)
    duration = metrics["gen_ai.client.operation.duration"][-1]
    assert list(duration.histogram.data_points[0].explicit_bounds)[:3] == [0.01, 0.02, 0.04]
    assert any(
        e.trace_id
        for m in metrics["gen_ai.client.operation.duration"]
        for p in m.histogram.data_points
        for e in p.exemplars
    ), "histograms carry exemplars with trace ids"
    token_types = {
        attributes(p.attributes)["gen_ai.token.type"]
        for p in metrics["gen_ai.client.token.usage"][-1].histogram.data_points
    }
    assert token_types == {"input", "output"}
    assert "genai_lab.cost.usd" in metrics
    assert "genai_lab.simulated_users.active" in metrics

    # -- logs carry the trace ids of spans that were exported
    span_traces = {s.trace_id for _, s in received.spans()}
    correlated = [r for r in received.log_records() if r.trace_id]
    assert correlated
    assert {r.trace_id for r in correlated} & span_traces
    levels = {r.severity_text for r in received.log_records()}
    assert {"INFO", "WARN", "ERROR"} <= levels  # the background generator's mix and /crash

    # -- no PII anywhere in what left the process
    payload = received.all_bytes()
    leaked = {
        p: payload[max(0, i - 80) : i + 80]
        for p in FORBIDDEN
        if (i := payload.find(p.encode())) >= 0
    }
    assert not leaked, f"PII reached the collector: {leaked}"
    assert b"[REDACTED:" in payload
    stdout = service.output()
    assert not [p for p in FORBIDDEN if p in stdout], "PII on the service's stdout"

    # -- one call record per model call (chat, stream, embeddings, the rejected model), the
    # user as a stable keyed hash on the records and on the request's spans
    records = [r for r in received.log_records() if r.body.string_value == CALL_RECORD]
    assert len(records) == 4, [attributes(r.attributes) for r in records]
    assert {r.event_name for r in records} == {CALL_RECORD}
    fields = [attributes(r.attributes) for r in records]
    assert len({f["request_id"] for f in fields}) == 4
    assert sorted(f["genai_lab.call.outcome"] for f in fields) == [
        "invalid_request",
        "success",
        "success",
        "success",
    ]
    assert all(r.trace_id for r in records)
    user_ids = {f["user.id"] for f in fields}
    assert len(user_ids) == 1 and user_ids.pop().startswith("u_")
    server_users = {
        attributes(s.attributes).get("user.id")
        for _, s in received.spans()
        if s.name == "POST /v1/chat/completions"
    }
    assert server_users == {fields[0]["user.id"]}

    # -- a model call's record is its one log line: no access line for it, in OTLP or on
    # stdout, while requests without a record (GET /v1/models/..., /crash) keep theirs
    bodies = [r.body.string_value for r in received.log_records()]
    call_lines = ("POST /v1/chat/completions HTTP/", "POST /v1/embeddings HTTP/")
    assert not [b for b in bodies if any(c in b for c in call_lines)]
    assert not [c for c in call_lines if c in stdout]
    assert stdout.count(f'"message": "{CALL_RECORD}"') == 4
    assert any("GET /v1/models/" in b for b in bodies)
    assert "GET /v1/models/" in stdout
    assert any("GET /crash" in b for b in bodies)


def test_service_keeps_answering_when_the_collector_is_unreachable() -> None:
    dead_port = free_port()  # nothing listens here
    metrics_port = free_port()
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        # Metrics are scraped natively, so the drop counter is readable with no collector.
        **prometheus_exporter_env(metrics_port),
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{dead_port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        # Tiny queues, so memory stays bounded and queue-full drops happen quickly.
        "OTEL_BSP_MAX_QUEUE_SIZE": "16",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "8",
        "OTEL_BLRP_MAX_QUEUE_SIZE": "16",
        "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "8",
        "TELEMETRY_DROP_REPORT_INTERVAL_S": "1",
        **INSTANT_MODEL,
        "LOG_GENERATOR_ENABLED": "false",
        "RATE_LIMITS_ENABLED": "false",
    }
    chat = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "hello"}]}
    with run_service(env) as service, httpx.Client(base_url=service.base_url, timeout=5) as c:
        started = time.monotonic()
        statuses = [c.post("/v1/chat/completions", json=chat).status_code for _ in range(200)]
        elapsed = time.monotonic() - started
        assert statuses == [200] * 200
        # Exports block for up to the timeout on the worker thread, never on requests.
        assert elapsed < 30, f"200 requests took {elapsed:.1f}s with the collector down"

        def dropped() -> dict[str, float]:
            text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            out = {}
            for line in text.splitlines():
                if line.startswith("genai_lab_telemetry_dropped_total{"):
                    labels, value = line.rsplit(" ", 1)
                    out[labels] = float(value)
            return out

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not dropped():
            time.sleep(0.2)
        counts = dropped()
        assert counts, service.output()[-3000:]
        assert any('telemetry_signal="traces"' in k for k in counts)
        assert sum(counts.values()) > 0
        # ...and keeps rising with more traffic.
        before = sum(counts.values())
        for _ in range(100):
            assert c.post("/v1/chat/completions", json=chat).status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and sum(dropped().values()) <= before:
            time.sleep(0.2)
        assert sum(dropped().values()) > before

        # Said once per interval, not once per record.
        time.sleep(1.5)
        summaries = service.output().count('"message": "telemetry dropped"')
        assert 1 <= summaries <= 40
        assert "Queue full" not in service.output()
