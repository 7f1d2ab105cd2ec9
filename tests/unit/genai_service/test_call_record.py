"""The genai_lab.call record, from the whole app in-process through the real telemetry pipeline:
exactly one per call, on stdout and OTLP alike, matching docs/schemas/genai-call-record.schema.json
for chat, stream, embeddings, cache hit, provider error and guardrail rejection; pseudonymous,
stable user ids on the record and the request's spans, never the raw id.
"""

# The shared `pipeline` fixture is imported, so tests taking it as a parameter "redefine" it.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from genai_service import call_record, pseudonym
from genai_service.guardrails.guard import Admission
from genai_service.main import create_app
from genai_service.providers.base import ChatRequest, Message
from tests.conftest import ROOT
from tests.unit.genai_service.conftest import ATTACK, CHAT, MODEL, chat, instant_settings
from tests.unit.lab_telemetry.conftest import (
    Pipeline,
    pipeline,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.unit

SCHEMA = json.loads((ROOT / "docs/schemas/genai-call-record.schema.json").read_text())
VALIDATOR = jsonschema_rs.validator_for(SCHEMA)
STDOUT_ENVELOPE = {"timestamp", "level", "logger", "message"}
EMBED_MODEL = "titan-embed-text-v2"
ADMIN_TOKEN = "test-admin-token-call-record"
HASH_KEY = "test-user-id-hash-key-0123456789"
ALICE = "alice@example.com"


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch, open_app: Any) -> Callable[..., TestClient]:
    def make(
        *, cache: bool = False, max_body_bytes: int = 1_048_576, records: bool = True, **env: str
    ) -> TestClient:
        monkeypatch.setenv(pseudonym.KEY_ENV, HASH_KEY)
        settings = instant_settings(
            env,
            cache_enabled=cache,
            admin_token=ADMIN_TOKEN,
            max_body_bytes=max_body_bytes,
            call_records_enabled=records,
        )
        return open_app(create_app(settings))

    return make


def stdout_records(pipeline: Pipeline) -> list[dict[str, Any]]:
    return [
        line for line in pipeline.stdout_lines() if line.get("message") == call_record.EVENT_NAME
    ]


def otlp_records(pipeline: Pipeline) -> list[dict[str, Any]]:
    found = []
    for log in pipeline.logs():
        record = log.log_record
        if record.body == call_record.EVENT_NAME:
            # The handler moves event.name into the record's own EventName field (OTLP 1.5).
            assert record.event_name == call_record.EVENT_NAME
            # Plain types, as the OTLP encoder writes them (pseudonyms are a str subclass).
            attrs = {
                k: str(v) if isinstance(v, str) else v for k, v in (record.attributes or {}).items()
            }
            assert "event.name" not in attrs
            found.append({"_trace_id": record.trace_id, "event.name": record.event_name, **attrs})
    return found


def only_record(pipeline: Pipeline) -> dict[str, Any]:
    """The one record of the one call made since the pipeline was cleared, checked against the
    schema on both sinks; returns the stdout form."""
    lines = stdout_records(pipeline)
    assert len(lines) == 1, lines
    otlp = otlp_records(pipeline)
    assert len(otlp) == 1, otlp
    line = lines[0]
    fields = {k: v for k, v in line.items() if k not in STDOUT_ENVELOPE}
    errors = [e.message for e in VALIDATOR.iter_errors(fields)]
    assert not errors, (errors, fields)
    attrs = {k: v for k, v in otlp[0].items() if k != "_trace_id"}
    errors = [e.message for e in VALIDATOR.iter_errors(attrs)]
    assert not errors, (errors, attrs)
    # Same fields on both sinks; trace ids on stdout, trace context on OTLP.
    assert attrs == {k: v for k, v in fields.items() if k not in ("trace_id", "span_id")}
    assert otlp[0]["_trace_id"] and format(otlp[0]["_trace_id"], "032x") == line["trace_id"]
    return line


def test_chat_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    r = client.post(CHAT, json=chat("What is observability?"), headers={"X-User-ID": ALICE})
    assert r.status_code == 200
    record = only_record(pipeline)
    usage = r.json()["usage"]
    assert record["gen_ai.operation.name"] == "chat"
    assert record["gen_ai.provider.name"] == "simulated"
    assert record["gen_ai.request.model"] == MODEL
    assert record["gen_ai.usage.input_tokens"] == usage["prompt_tokens"]
    assert record["gen_ai.usage.output_tokens"] == usage["completion_tokens"]
    assert record["genai_lab.cost.usd"] > 0
    assert record["genai_lab.call.outcome"] == "success"
    assert record["genai_lab.call.cache_hit"] is False
    assert record["genai_lab.call.finish_reason"] == r.json()["choices"][0]["finish_reason"]
    assert record["request_id"] == r.headers["x-request-id"]
    assert record["tenant.id"] == "anonymous"
    assert record["http.response.status_code"] == 200
    assert record["user.id"] == pseudonym.Pseudonymiser(HASH_KEY.encode()).user_id(ALICE)


def test_call_records_can_be_turned_off_to_price_them(make_client, pipeline) -> None:
    client = make_client(records=False)
    pipeline.clear()
    r = client.post(CHAT, json=chat("What is observability?"), headers={"X-User-ID": ALICE})
    assert r.status_code == 200
    assert stdout_records(pipeline) == []
    assert otlp_records(pipeline) == []


def test_the_cost_matches_the_span_and_the_pricing_table(make_client, pipeline) -> None:
    client = make_client()
    pipeline.clear()
    client.post(CHAT, json=chat("price me"))
    record = only_record(pipeline)
    span = next(s for s in pipeline.spans() if s.name == f"chat {MODEL}")
    assert record["genai_lab.cost.usd"] == pytest.approx(span.attributes["genai_lab.cost.usd"])
    assert record["trace_id"] == format(span.context.trace_id, "032x")
    assert "user.id" not in record  # no X-User-ID, no user


def test_stream_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    body = chat("Stream me a haiku", stream=True, stream_options={"include_usage": True})
    with client.stream("POST", CHAT, json=body, headers={"X-User-ID": ALICE}) as r:
        assert r.status_code == 200
        events = [line for line in r.iter_lines() if line.startswith("data: {")]
    usage = json.loads(events[-1][len("data: ") :])["usage"]
    record = only_record(pipeline)
    assert record["genai_lab.call.stream"] is True
    assert record["genai_lab.call.outcome"] == "success"
    assert record["genai_lab.call.time_to_first_chunk_s"] >= 0
    assert record["genai_lab.call.latency_s"] >= record["genai_lab.call.time_to_first_chunk_s"]
    assert record["gen_ai.usage.output_tokens"] == usage["completion_tokens"] > 0
    assert record["genai_lab.cost.usd"] > 0
    assert record["genai_lab.call.finish_reason"]


def test_embeddings_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    r = client.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": ["a", "b"]})
    assert r.status_code == 200
    record = only_record(pipeline)
    assert record["gen_ai.operation.name"] == "embeddings"
    assert record["gen_ai.request.model"] == EMBED_MODEL
    assert record["gen_ai.usage.input_tokens"] == r.json()["usage"]["prompt_tokens"] > 0
    assert record["gen_ai.usage.output_tokens"] == 0
    assert record["genai_lab.cost.usd"] > 0
    assert "genai_lab.call.finish_reason" not in record


@pytest.mark.parametrize("stream", [False, True])
def test_cache_hit_record(make_client, pipeline: Pipeline, stream: bool) -> None:
    client = make_client(cache=True)
    body = chat("cache me", stream=stream)
    first = client.post(CHAT, json=body)
    assert first.headers["x-cache"] == "miss"
    pipeline.clear()
    second = client.post(CHAT, json=body)
    assert second.headers["x-cache"] == "hit"
    record = only_record(pipeline)
    assert record["genai_lab.call.cache_hit"] is True
    assert record["genai_lab.call.outcome"] == "success"
    # No model was called: nothing billed, as on the cost metric.
    assert record["genai_lab.cost.usd"] == 0
    assert record["gen_ai.usage.input_tokens"] == record["gen_ai.usage.output_tokens"] == 0


def test_the_prompt_hash_is_stable_and_not_the_prompt(make_client, pipeline) -> None:
    client = make_client()
    pipeline.clear()
    client.post(CHAT, json=chat("the same words"))
    client.post(CHAT, json=chat("the same words"))
    client.post(CHAT, json=chat("other words"))
    hashes = [r["genai_lab.call.prompt_hash"] for r in stdout_records(pipeline)]
    assert hashes[0] == hashes[1] != hashes[2]
    assert not any("same words" in json.dumps(r) for r in stdout_records(pipeline))


def test_provider_error_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.put("/admin/faults", json={"outage": True}, headers=admin).status_code == 200
    pipeline.clear()
    r = client.post(CHAT, json=chat("hello?"))
    assert r.status_code == 503
    record = only_record(pipeline)
    assert record["genai_lab.call.outcome"] == "provider_error"
    assert record["error.type"] == "unavailable"
    assert record["http.response.status_code"] == 503
    assert record["genai_lab.cost.usd"] == 0
    assert record["gen_ai.request.model"] == MODEL


def test_guardrail_rejection_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    r = client.post(CHAT, json=chat(ATTACK), headers={"X-User-ID": ALICE})
    assert r.status_code == 400
    record = only_record(pipeline)
    assert record["genai_lab.call.outcome"] == "guardrail_rejected"
    assert record["error.type"] == "prompt_injection"
    assert record["genai_lab.guardrails.injection_score"] > 0.5
    assert "gen_ai.provider.name" not in record  # no model was reached
    assert record["user.id"].startswith("u_")


def test_unauthenticated_call_is_a_guardrail_rejection(make_client, pipeline) -> None:
    client = make_client(REQUIRE_API_KEY="true", LAB_API_KEY="sk-test-call-record-3c1f9a")
    pipeline.clear()
    assert client.post(CHAT, json=chat("hi")).status_code == 401
    record = only_record(pipeline)
    assert (record["genai_lab.call.outcome"], record["error.type"]) == (
        "guardrail_rejected",
        "unauthorized",
    )


def test_invalid_request_and_pii_count(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    assert client.post(CHAT, json=chat("hi", model="no-such-model")).status_code == 400
    record = only_record(pipeline)
    assert (record["genai_lab.call.outcome"], record["error.type"]) == (
        "invalid_request",
        "unknown_model",
    )
    pipeline.clear()
    client.post(CHAT, json=chat("mail me at bob@example.com or call +44 20 7946 0958"))
    record = only_record(pipeline)
    assert record["genai_lab.guardrails.pii_count"] == 2


def test_other_routes_emit_no_record(make_client, pipeline: Pipeline) -> None:
    client = make_client()
    pipeline.clear()
    client.get("/v1/models")
    client.get("/healthz")
    assert stdout_records(pipeline) == []


def test_user_id_is_stable_hashed_and_on_the_request_spans(make_client, pipeline) -> None:
    client = make_client()
    pipeline.clear()
    for _ in range(2):
        client.post(CHAT, json=chat("hi"), headers={"X-User-ID": ALICE})
    client.post(CHAT, json=chat("hi"), headers={"X-User-ID": "bob@example.com"})
    ids = [r["user.id"] for r in stdout_records(pipeline)]
    assert ids[0] == ids[1] != ids[2]
    spans = pipeline.spans()
    server = [s for s in spans if s.attributes.get("http.route") == CHAT]
    model = [s for s in spans if s.name == f"chat {MODEL}"]
    assert [s.attributes["user.id"] for s in server] == ids
    assert [s.attributes["user.id"] for s in model] == ids
    # Never the raw id, in any sink; never a metric attribute.
    everything = json.dumps(pipeline.stdout_lines()) + repr(
        [(s.attributes, [e.attributes for e in s.events]) for s in spans]
    )
    everything += repr([log.log_record.attributes for log in pipeline.logs()])
    assert "alice" not in everything and "bob@" not in everything
    for metric in pipeline.metrics().values():
        for point in metric.data.data_points:
            assert "user.id" not in point.attributes, metric.name


def test_a_record_that_cannot_be_built_does_not_fail_the_request(
    make_client, pipeline, monkeypatch
) -> None:
    client = make_client()

    def broken(*_: Any, **__: Any) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(call_record, "build_record", broken)
    pipeline.clear()
    assert client.post(CHAT, json=chat("hi")).status_code == 200
    assert any(line["message"] == "call record not emitted" for line in pipeline.stdout_lines())


def test_a_callers_request_id_holding_pii_never_reaches_logs_and_generated_ones_are_kept(
    make_client, pipeline
) -> None:
    client = make_client()
    pipeline.clear()
    r = client.post(CHAT, json=chat("hi"), headers={"X-Request-ID": "203.0.113.77"})
    # Replaced by a generated id (genai_service.api.request_ids), and the response says why.
    replacement = r.headers["x-request-id"]
    assert replacement != "203.0.113.77"
    assert r.headers["x-request-id-replaced"] == "contains-pii"
    # Lines written inside the request (the test client's own line is not).
    ids = {line["request_id"] for line in pipeline.stdout_lines() if "request_id" in line}
    assert ids == {replacement}
    assert "203.0.113.77" not in json.dumps(pipeline.stdout_lines())
    assert only_record(pipeline)["request_id"] == replacement
    pipeline.clear()
    generated = client.post(CHAT, json=chat("hi")).headers["x-request-id"]
    ids = {line["request_id"] for line in pipeline.stdout_lines() if "request_id" in line}
    assert ids == {generated}


def test_a_body_refused_by_its_size_gets_a_record(make_client, pipeline: Pipeline) -> None:
    client = make_client(max_body_bytes=1024)
    pipeline.clear()
    r = client.post(CHAT, json=chat("x" * 4096))
    assert r.status_code == 413
    record = only_record(pipeline)
    assert (record["genai_lab.call.outcome"], record["error.type"]) == (
        "invalid_request",
        "body_too_large",
    )


def test_an_unhandled_exception_is_an_error_record(make_client, pipeline, monkeypatch) -> None:
    client = make_client()
    inner = client.app.state.orchestrator._inner

    async def broken(request: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(inner, "chat", broken)
    pipeline.clear()
    assert client.post(CHAT, json=chat("hi")).status_code == 500
    record = only_record(pipeline)
    assert (record["genai_lab.call.outcome"], record["error.type"]) == ("error", "RuntimeError")
    assert record["http.response.status_code"] == 500


def test_the_record_names_the_keys_tenant(make_client, pipeline: Pipeline) -> None:
    key = "sk-test-call-record-globex-7e1d"
    client = make_client(API_KEYS=f"{key}:globex:pro")
    pipeline.clear()
    headers = {"Authorization": f"Bearer {key}", "X-Tenant-ID": "acme"}
    assert client.post(CHAT, json=chat("hi"), headers=headers).status_code == 200
    # A tenant's own key decides the tenant, whatever X-Tenant-ID says.
    assert only_record(pipeline)["tenant.id"] == "globex"


def test_a_personal_keys_user_wins_over_the_header(make_client, pipeline, tmp_path) -> None:
    import hashlib

    key = "sk-test-call-record-personal-5a9c"
    keys = tmp_path / "keys.json"
    entry = {"sha256": hashlib.sha256(key.encode()).hexdigest(), "tenant": "acme", "tier": "pro"}
    keys.write_text(json.dumps({"keys": [{**entry, "user": "svc-nightly-batch"}]}))
    client = make_client(API_KEYS_FILE=str(keys))
    pipeline.clear()
    headers = {"Authorization": f"Bearer {key}", "X-User-ID": ALICE}
    assert client.post(CHAT, json=chat("hi"), headers=headers).status_code == 200
    expected = pseudonym.Pseudonymiser(HASH_KEY.encode()).user_id("svc-nightly-batch")
    assert only_record(pipeline)["user.id"] == expected
    server = [s for s in pipeline.spans() if s.attributes.get("http.route") == CHAT]
    model = [s for s in pipeline.spans() if s.name == f"chat {MODEL}"]
    assert server[-1].attributes["user.id"] == model[-1].attributes["user.id"] == expected


async def test_a_stream_the_client_closes_is_recorded_with_what_it_generated(make_client) -> None:
    client = make_client()
    recording = client.app.state.orchestrator
    # As the route sends it: carrying its admission, which prices the call.
    admission = Admission(client.app.state.guardrails, "anonymous", "enterprise", 0)
    request = ChatRequest(
        model=MODEL,
        messages=(Message("user", "Explain observability in a few paragraphs."),),
        max_tokens=200,
        meter=admission,
    )
    draft = call_record.CallDraft(operation="chat", started=0.0)
    token = call_record._draft.set(draft)
    try:
        stream = recording.chat_stream(request)
        received = 0
        async for chunk, _ in stream:
            assert chunk.finish_reason is None
            received += 1
            if received == 3:
                break
        await stream.aclose()  # the client went away before the end
    finally:
        call_record._draft.reset(token)
    assert (draft.outcome, draft.error_type) == ("cancelled", "client_closed")
    # Charged for what was generated, as the metering layer and the metrics are.
    assert draft.input_tokens > 0 and draft.output_tokens > 0
    assert draft.cost_usd > 0
