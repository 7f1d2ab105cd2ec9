"""The simulated model: deterministic answers, token counts from the text, latency, errors."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from genai_service.errors import ProviderError
from genai_service.providers.base import (
    ChatRequest,
    EmbeddingRequest,
    Message,
    StreamChunk,
)
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider
from genai_service.providers.tokens import count_prompt_tokens, count_tokens

pytestmark = pytest.mark.unit

FAST = SimulatedConfig(latency_ms=0)


def req(text: str = "How do I export my data?", **kw: object) -> ChatRequest:
    return ChatRequest(model="claude-haiku-4-5", messages=(Message("user", text),), **kw)  # type: ignore[arg-type]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def collect(provider: SimulatedProvider, request: ChatRequest) -> list[StreamChunk]:
    return [c async for c in provider.chat_stream(request)]


def test_same_seed_and_input_give_the_same_answer() -> None:
    a = run(SimulatedProvider(FAST).chat(req()))
    b = run(SimulatedProvider(FAST).chat(req()))
    assert a.text == b.text and a.usage == b.usage


def test_different_input_or_seed_gives_a_different_answer() -> None:
    base = run(SimulatedProvider(FAST).chat(req())).text
    assert run(SimulatedProvider(FAST).chat(req("Something else entirely"))).text != base
    assert run(SimulatedProvider(SimulatedConfig(latency_ms=0, seed=7)).chat(req())).text != base
    assert run(SimulatedProvider(FAST).chat(req(seed=123))).text != base


def test_token_counts_come_from_the_text() -> None:
    result = run(SimulatedProvider(FAST).chat(req("one two three, four.")))
    assert result.usage.output_tokens == count_tokens(result.text)
    assert result.usage.input_tokens == count_prompt_tokens(
        (Message("user", "one two three, four."),)
    )
    assert count_tokens("one two three, four.") == 6  # four words, a comma and a full stop


def test_output_length_within_configured_bounds() -> None:
    provider = SimulatedProvider(
        SimulatedConfig(latency_ms=0, min_output_tokens=20, max_output_tokens=30)
    )
    for i in range(20):
        result = run(provider.chat(req(f"question {i}")))
        assert 20 <= result.usage.output_tokens <= 30
        assert result.finish_reason == "stop"


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    result = run(SimulatedProvider(FAST).chat(req(max_tokens=5)))
    assert result.usage.output_tokens == 5
    assert result.finish_reason == "length"


def test_stream_concatenates_to_the_plain_answer_with_usage_last() -> None:
    provider = SimulatedProvider(FAST)
    plain = run(provider.chat(req()))
    chunks = run(collect(provider, req()))
    assert "".join(c.text for c in chunks) == plain.text
    assert chunks[-1].finish_reason == plain.finish_reason
    assert chunks[-1].usage == plain.usage
    assert all(c.usage is None for c in chunks[:-1])
    assert len(chunks) == plain.usage.output_tokens + 1  # one chunk per token, then the end


def test_zero_latency_answers_immediately() -> None:
    provider = SimulatedProvider(FAST)
    started = time.perf_counter()
    for i in range(50):
        run(provider.chat(req(f"q{i}")))
    assert time.perf_counter() - started < 2.0


def test_latency_has_time_to_first_token_and_per_token_pacing() -> None:
    provider = SimulatedProvider(
        SimulatedConfig(
            latency_ms=80, latency_sigma=0, token_ms=5, min_output_tokens=10, max_output_tokens=10
        )
    )

    async def timed() -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        async for _ in provider.chat_stream(req()):
            if first is None:
                first = time.perf_counter() - started
        return first or 0.0, time.perf_counter() - started

    ttft, total = run(timed())
    assert ttft >= 0.075
    assert total >= 0.075 + 9 * 0.005


def test_configured_error_rate_raises_the_provider_error() -> None:
    provider = SimulatedProvider(SimulatedConfig(latency_ms=0, error_rates={"throttled": 1.0}))
    with pytest.raises(ProviderError) as info:
        run(provider.chat(req()))
    assert info.value.http_status == 429
    assert info.value.error_type == "throttled"
    assert info.value.retry_after_s and info.value.retry_after_s > 0


def test_error_rates_are_drawn_at_the_configured_frequency() -> None:
    provider = SimulatedProvider(
        SimulatedConfig(latency_ms=0, error_rates={"unavailable": 0.2, "timeout": 0.1}, timeout_s=0)
    )
    kinds = [provider.draw_error() for _ in range(5000)]
    assert 0.17 < kinds.count("unavailable") / 5000 < 0.23
    assert 0.07 < kinds.count("timeout") / 5000 < 0.13


def test_embeddings_are_deterministic_unit_vectors_of_the_requested_size() -> None:
    provider = SimulatedProvider(FAST)
    request = EmbeddingRequest(model="titan-embed-text-v2", inputs=("a", "b"), dimensions=64)
    first = run(provider.embed(request))
    again = run(provider.embed(request))
    assert first.vectors == again.vectors
    assert [len(v) for v in first.vectors] == [64, 64]
    assert first.vectors[0] != first.vectors[1]
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-9) for v in first.vectors)
    assert first.usage.input_tokens == 2
