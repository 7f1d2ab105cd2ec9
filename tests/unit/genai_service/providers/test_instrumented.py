"""The GenAI seam: spans and metrics per semantic conventions v1.41, with in-memory exporters."""

from __future__ import annotations

import json
import uuid

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from genai_service.errors import ProviderError
from genai_service.providers import instrumented as genai
from genai_service.providers.base import ChatRequest, ChatResult, EmbeddingRequest, Message, Usage
from lab_telemetry.instruments import catalogue
from tests.support.caller import as_caller
from tests.support.scripted_provider import ScriptedProvider

pytestmark = pytest.mark.unit

PRICE_IN, PRICE_OUT = 3.0, 15.0  # USD per 1M tokens


class FakePricing:
    """Prices models named test-*; anything else is unknown (KeyError), like PricingTable."""

    def cost_usd(self, model_id: str, usage: Usage) -> float:
        if not model_id.startswith("test-"):
            raise KeyError(model_id)
        return (usage.input_tokens * PRICE_IN + usage.output_tokens * PRICE_OUT) / 1_000_000


def model() -> str:
    # A fresh model per test: cumulative metrics from other tests never match its series.
    return f"test-{uuid.uuid4().hex[:8]}"


def chat_request(model_id: str, text: str = "hello") -> ChatRequest:
    return ChatRequest(
        model=model_id,
        messages=(Message("user", text),),
        max_tokens=100,
        temperature=0.2,
    )


def wrap(provider: ScriptedProvider, *, capture: bool = False) -> genai.InstrumentedProvider:
    return genai.InstrumentedProvider(
        provider,
        FakePricing(),
        tenant_label=lambda t: t if t in ("acme", "anonymous") else "other",
        capture_content=capture,
    )


def only_span(pipeline, name: str):
    spans = [s for s in pipeline.spans() if s.name == name]
    assert len(spans) == 1, [s.name for s in pipeline.spans()]
    return spans[0]


async def test_chat_span_follows_conventions(pipeline) -> None:
    m = model()
    with as_caller(request_id="r1", tenant_id="acme"):
        await wrap(ScriptedProvider()).chat(chat_request(m))

    span = only_span(pipeline, f"chat {m}")
    assert span.kind is SpanKind.CLIENT
    a = span.attributes
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "aws.bedrock"
    assert a["gen_ai.request.model"] == m
    assert a["gen_ai.request.max_tokens"] == 100
    assert a["gen_ai.request.temperature"] == 0.2
    assert a["gen_ai.response.model"] == "snapshot-" + m
    assert a["gen_ai.response.id"] == "resp-123"
    assert tuple(a["gen_ai.response.finish_reasons"]) == ("stop",)
    assert a["gen_ai.usage.input_tokens"] == 12
    assert a["gen_ai.usage.output_tokens"] == 34
    assert a["gen_ai.usage.cache_read.input_tokens"] == 5
    assert "gen_ai.usage.cache_creation.input_tokens" not in a  # zero: not set
    assert a["genai_lab.cost.usd"] == pytest.approx((12 * PRICE_IN + 34 * PRICE_OUT) / 1e6)
    assert "error.type" not in a
    assert span.status.status_code is StatusCode.UNSET
    # Content capture is opt-in.
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a


async def test_chat_metrics_names_units_buckets_and_bounded_labels(pipeline) -> None:
    m = model()
    with as_caller(request_id="r2", tenant_id="some-unknown-tenant"):
        await wrap(ScriptedProvider()).chat(chat_request(m))

    metrics = pipeline.metrics()
    spec = catalogue()
    for name in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage"):
        assert metrics[name].unit == spec[name].unit
    duration = pipeline.points("gen_ai.client.operation.duration", **{"gen_ai.request.model": m})
    assert len(duration) == 1
    point = duration[0]
    assert tuple(point.explicit_bounds) == spec["gen_ai.client.operation.duration"].buckets
    assert point.count == 1
    assert point.attributes["gen_ai.operation.name"] == "chat"
    assert point.attributes["gen_ai.provider.name"] == "aws.bedrock"
    # The response model is not in the pricing table: bounded to "other".
    assert point.attributes["gen_ai.response.model"] == "other"

    tokens = {
        p.attributes["gen_ai.token.type"]: p
        for p in pipeline.points("gen_ai.client.token.usage", **{"gen_ai.request.model": m})
    }
    assert set(tokens) == {"input", "output"}
    assert tokens["input"].sum == 12 and tokens["output"].sum == 34
    assert tuple(tokens["input"].explicit_bounds) == spec["gen_ai.client.token.usage"].buckets

    cost = pipeline.points("genai_lab.cost.usd", **{"gen_ai.request.model": m})
    assert len(cost) == 1
    assert cost[0].value == pytest.approx((12 * PRICE_IN + 34 * PRICE_OUT) / 1e6)
    assert cost[0].attributes["tenant.id"] == "other"  # unknown tenants are bounded


async def test_provider_error_is_recorded_with_error_type(pipeline) -> None:
    m = model()
    error = ProviderError("throttled", 429, "slow down, alice@example.com")
    with pytest.raises(ProviderError):
        await wrap(ScriptedProvider(fail=error)).chat(chat_request(m))

    span = only_span(pipeline, f"chat {m}")
    assert span.attributes["error.type"] == "throttled"
    assert span.status.status_code is StatusCode.ERROR
    exceptions = [e for e in span.events if e.name == "exception"]
    assert len(exceptions) == 1
    # The exception message held an email: the exported copy is redacted.
    assert "alice@example.com" not in exceptions[0].attributes["exception.message"]
    assert "[REDACTED:email]" in exceptions[0].attributes["exception.message"]

    errors = pipeline.points("genai_lab.provider.errors", **{"gen_ai.request.model": m})
    assert [(p.attributes["error.type"], p.value) for p in errors] == [("throttled", 1)]
    failed = pipeline.points("gen_ai.client.operation.duration", **{"gen_ai.request.model": m})
    assert [p.attributes.get("error.type") for p in failed] == ["throttled"]


async def test_unexpected_exception_uses_its_class_name(pipeline) -> None:
    m = model()
    with pytest.raises(RuntimeError):
        await wrap(ScriptedProvider(fail=RuntimeError("boom"))).chat(chat_request(m))
    span = only_span(pipeline, f"chat {m}")
    assert span.attributes["error.type"] == "RuntimeError"


async def test_stream_records_first_chunk_and_per_chunk_times(pipeline) -> None:
    m = model()
    provider = ScriptedProvider(finish_reason="length", pause_s=0.01)
    chunks = [c async for c in wrap(provider).chat_stream(chat_request(m))]
    assert "".join(c.text for c in chunks) == "one two three"

    span = only_span(pipeline, f"chat {m}")
    assert span.attributes["gen_ai.request.stream"] is True
    assert tuple(span.attributes["gen_ai.response.finish_reasons"]) == ("length",)
    assert span.attributes["gen_ai.usage.output_tokens"] == 34
    first = pipeline.points(
        "gen_ai.client.operation.time_to_first_chunk", **{"gen_ai.request.model": m}
    )
    assert len(first) == 1 and first[0].count == 1 and first[0].sum >= 0.01
    per_chunk = pipeline.points(
        "gen_ai.client.operation.time_per_output_chunk", **{"gen_ai.request.model": m}
    )
    assert len(per_chunk) == 1 and per_chunk[0].count == 2  # two gaps with text after the first
    assert per_chunk[0].sum >= 0.015


async def test_stream_failure_mid_way_ends_span_with_error(pipeline) -> None:
    m = model()
    failing = ScriptedProvider(fail=ProviderError("timeout", 504, "late"))
    with pytest.raises(ProviderError):
        async for _ in wrap(failing).chat_stream(chat_request(m)):
            pass
    span = only_span(pipeline, f"chat {m}")
    assert span.attributes["error.type"] == "timeout"
    assert span.status.status_code is StatusCode.ERROR
    assert span.end_time is not None


async def test_a_stream_the_consumer_closes_is_recorded_as_client_closed(pipeline) -> None:
    m = model()
    stream = wrap(ScriptedProvider()).chat_stream(chat_request(m))
    async for _ in stream:
        break  # the client went away after the first chunk
    await stream.aclose()

    span = only_span(pipeline, f"chat {m}")
    assert span.attributes["error.type"] == "client_closed"
    assert span.status.status_code is not StatusCode.ERROR  # not a provider failure
    # What was generated before the close is still paid for: the prompt and one chunk.
    assert span.attributes["gen_ai.usage.input_tokens"] > 0
    assert span.attributes["gen_ai.usage.output_tokens"] == 1
    assert span.attributes["genai_lab.cost.usd"] > 0
    closed = pipeline.points(
        "gen_ai.client.operation.duration",
        **{"gen_ai.request.model": m, "error.type": "client_closed"},
    )
    assert len(closed) == 1 and closed[0].count == 1
    output = pipeline.points(
        "gen_ai.client.token.usage", **{"gen_ai.request.model": m, "gen_ai.token.type": "output"}
    )
    assert len(output) == 1 and output[0].sum == 1
    assert not pipeline.points("genai_lab.provider.errors", **{"gen_ai.request.model": m})


async def test_embeddings_span_and_input_tokens_only(pipeline) -> None:
    m = model()
    await wrap(ScriptedProvider()).embed(EmbeddingRequest(model=m, inputs=("a", "b")))
    span = only_span(pipeline, f"embeddings {m}")
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.usage.input_tokens"] == 9
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 3
    tokens = pipeline.points("gen_ai.client.token.usage", **{"gen_ai.request.model": m})
    assert [p.attributes["gen_ai.token.type"] for p in tokens] == ["input"]


async def test_captured_content_is_opt_in_and_redacted(pipeline) -> None:
    m = model()
    prompt = "My card is 4111 1111 1111 1111 and my SSN 123-45-6789"
    answer = ScriptedProvider(text="Sure, reach me at carol@example.org")
    await wrap(answer, capture=True).chat(chat_request(m, prompt))
    span = only_span(pipeline, f"chat {m}")
    inputs = json.loads(span.attributes["gen_ai.input.messages"])
    assert inputs[0]["role"] == "user"
    content = inputs[0]["parts"][0]["content"]
    assert "4111" not in content and "123-45-6789" not in content
    assert "[REDACTED:card_number]" in content and "[REDACTED:us_ssn]" in content
    outputs = json.loads(span.attributes["gen_ai.output.messages"])
    assert "carol@example.org" not in outputs[0]["parts"][0]["content"]
    assert outputs[0]["finish_reason"] == "stop"


def test_capture_flag_reads_the_standard_variable(monkeypatch) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    assert genai.capture_content_enabled()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    assert not genai.capture_content_enabled()


async def test_provider_span_parents_inner_work(pipeline) -> None:
    from opentelemetry import trace

    m = model()
    seen: list[int] = []

    class Inner(ScriptedProvider):
        async def chat(self, request: ChatRequest) -> ChatResult:
            seen.append(trace.get_current_span().get_span_context().span_id)
            return await super().chat(request)

    await wrap(Inner()).chat(chat_request(m))
    span = only_span(pipeline, f"chat {m}")
    assert seen == [span.context.span_id]
