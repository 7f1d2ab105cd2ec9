"""The provider stack's metering layer: every call's usage is settled once with the meter its
request carries (its admission), and a stream cut short is charged for what the model
generated before it ended."""

from __future__ import annotations

from dataclasses import replace

import pytest

from genai_service.errors import ProviderError
from genai_service.providers.base import ChatRequest, EmbeddingRequest, Message, Usage
from genai_service.providers.stack import MeteredProvider
from genai_service.providers.tokens import partial_usage
from tests.support.scripted_provider import EMBEDDING_USAGE, ScriptedProvider

pytestmark = pytest.mark.unit

REQUEST = ChatRequest(model="test-model", messages=(Message("user", "tell me a story"),))
FINAL = Usage(11, 3)
LATE = ProviderError("timeout", 504, "late")


class Settlements:
    """A meter (providers.base.Meter) that records what the metering layer settles."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Usage]] = []

    def cost_usd(self, model: str, usage: Usage) -> float | None:
        return 0.0

    def settle(self, model: str, usage: Usage, *, cached: bool = False) -> None:
        self.calls.append((model, usage))


def metered(provider: ScriptedProvider) -> tuple[MeteredProvider, Settlements, ChatRequest]:
    meter = Settlements()
    return MeteredProvider(provider), meter, replace(REQUEST, meter=meter)


async def test_a_whole_stream_settles_its_final_usage_once() -> None:
    stack, guard, request = metered(ScriptedProvider(usage=FINAL))
    chunks = [c async for c in stack.chat_stream(request)]
    assert chunks[-1].usage == FINAL
    assert guard.calls == [("test-model", FINAL)]


async def test_a_stream_the_client_closes_is_charged_for_what_was_generated() -> None:
    inner = ScriptedProvider(usage=FINAL)
    stack, guard, request = metered(inner)
    stream = stack.chat_stream(request)
    seen = []
    async for chunk in stream:
        seen.append(chunk.text)
        if len(seen) == 2:
            break
    await stream.aclose()
    assert inner.closed  # the close reached the provider
    assert guard.calls == [("test-model", partial_usage(REQUEST.messages, "one two "))]
    assert guard.calls[0][1].output_tokens == 2


async def test_a_provider_failing_mid_stream_is_charged_for_its_output() -> None:
    stack, guard, request = metered(ScriptedProvider(fail=LATE, fail_after=1))
    with pytest.raises(ProviderError):
        async for _ in stack.chat_stream(request):
            pass
    assert guard.calls == [("test-model", partial_usage(REQUEST.messages, "one "))]


async def test_a_stream_refused_before_any_output_is_not_charged() -> None:
    # Its reservation is released at the end of the request (ReservationMiddleware) instead.
    stack, guard, request = metered(ScriptedProvider(fail=LATE, fail_after=0))
    with pytest.raises(ProviderError):
        async for _ in stack.chat_stream(request):
            pass
    assert guard.calls == []


async def test_plain_calls_and_embeddings_settle_their_usage() -> None:
    stack, guard, request = metered(ScriptedProvider(usage=FINAL))
    await stack.chat(request)
    await stack.embed(EmbeddingRequest(model="test-embed", inputs=("hi",), meter=guard))
    assert guard.calls == [("test-model", FINAL), ("test-embed", EMBEDDING_USAGE)]


async def test_a_request_without_a_meter_passes_through_unsettled() -> None:
    stack, guard, _ = metered(ScriptedProvider(usage=FINAL))
    assert (await stack.chat(REQUEST)).usage == FINAL
    assert [c async for c in stack.chat_stream(REQUEST)][-1].usage == FINAL
    assert guard.calls == []
