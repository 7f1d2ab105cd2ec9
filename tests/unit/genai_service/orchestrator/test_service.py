"""The orchestrator with the real simulated model: cache hits and misses, redaction in and out."""

from __future__ import annotations

import asyncio

import pytest

from genai_service.orchestrator.cache import TTLCache
from genai_service.orchestrator.service import Orchestrator
from genai_service.orchestrator.templates import TemplateRegistry
from genai_service.providers.base import AnyRequest, ChatRequest, Message, ProviderWrapper
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider

pytestmark = pytest.mark.unit


class Recording(ProviderWrapper):
    """The real simulator, remembering what it was asked (to see what reached the model)."""

    def __init__(self) -> None:
        super().__init__(SimulatedProvider(SimulatedConfig(latency_ms=0)))
        self.seen: list[ChatRequest] = []

    async def begin(self, request: AnyRequest) -> None:
        if isinstance(request, ChatRequest):
            self.seen.append(request)


def orchestrator(provider: Recording, *, cache: bool = True, redact=None) -> Orchestrator:  # type: ignore[no-untyped-def]
    kwargs = {"redact": redact} if redact else {}
    return Orchestrator(
        provider,
        templates=TemplateRegistry.load(),
        cache=TTLCache(100, 60) if cache else None,
        tenant_label=lambda t: t or "other",
        **kwargs,
    )


def req(text: str = "How do I reset my password?") -> ChatRequest:
    return ChatRequest(model="claude-haiku-4-5", messages=(Message("user", text),))


def test_second_identical_request_is_a_cache_hit_without_a_model_call() -> None:
    provider = Recording()
    orch = orchestrator(provider)
    first = asyncio.run(orch.chat(orch.prepare(req())))
    second = asyncio.run(orch.chat(orch.prepare(req("How do I  reset my password?"))))
    assert (first.cached, second.cached) == (False, True)
    assert second.result.text == first.result.text
    assert len(provider.seen) == 1


def test_without_a_cache_every_request_reaches_the_model() -> None:
    provider = Recording()
    orch = orchestrator(provider, cache=False)
    for _ in range(3):
        assert not asyncio.run(orch.chat(orch.prepare(req()))).cached
    assert len(provider.seen) == 3


def test_streamed_answer_is_cached_and_replayed() -> None:
    provider = Recording()
    orch = orchestrator(provider)

    async def stream() -> tuple[str, list[bool]]:
        parts, flags = [], []
        async for chunk, cached in orch.chat_stream(orch.prepare(req())):
            parts.append(chunk.text)
            flags.append(cached)
        return "".join(parts), flags

    text, flags = asyncio.run(stream())
    assert not any(flags)
    again, flags = asyncio.run(stream())
    assert again == text and all(flags)
    plain = asyncio.run(orch.chat(orch.prepare(req())))
    assert plain.cached and plain.result.text == text
    assert len(provider.seen) == 1


def test_redaction_hook_runs_on_the_way_in_and_out() -> None:
    provider = Recording()

    def redact(text: str) -> str:
        return text.replace("hunter2", "[REDACTED]").replace("e", "3")

    orch = orchestrator(provider, redact=redact)
    outcome = asyncio.run(orch.chat(orch.prepare(req("my password is hunter2"))))
    assert provider.seen[0].messages[0].content == "my password is [REDACTED]"
    unredacted = asyncio.run(provider.inner.chat(provider.seen[0])).text
    assert "e" in unredacted
    assert outcome.result.text == redact(unredacted)


def test_templates_are_applied_before_the_model_sees_the_prompt() -> None:
    provider = Recording()
    orch = orchestrator(provider)
    prepared = orch.prepare(req("hi"), "classify", {"message": "my invoice is wrong"})
    asyncio.run(orch.chat(prepared))
    roles = [m.role for m in provider.seen[0].messages]
    assert roles == ["system", "user", "user"]
    assert "my invoice is wrong" in provider.seen[0].messages[-1].content
