"""The orchestrator: what happens to a prompt between the route and the model.

    template -> redact (in) -> cache lookup -> provider -> redact (out) -> cache write

Each stage is a span of its own (prompt.redact, cache.lookup, cache.write); the provider call
span comes from the telemetry seam that wraps the provider. No gen_ai attributes here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace

from opentelemetry import trace

from genai_service.offload import SLICE_CHARS, map_yielding
from genai_service.orchestrator.cache import TTLCache, cache_key
from genai_service.orchestrator.templates import TemplateRegistry
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Message,
    Provider,
    StreamChunk,
    Usage,
)
from lab_telemetry.context import current_caller
from lab_telemetry.instruments import instrument

tracer = trace.get_tracer(__name__)

Redactor = Callable[[str], str]


def identity(text: str) -> str:
    return text


def _chars(message: Message) -> int:
    return len(message.content)


@dataclass(frozen=True)
class ChatOutcome:
    result: ChatResult
    cached: bool


class Orchestrator:
    def __init__(
        self,
        provider: Provider,
        *,
        templates: TemplateRegistry,
        cache: TTLCache[ChatResult] | None,
        tenant_label: Callable[[str | None], str],
        redact: Redactor = identity,
    ) -> None:
        self.provider = provider
        self.templates = templates
        self.cache = cache
        self.redact = redact
        self._tenant_label = tenant_label
        self._redacting = redact is not identity
        self._cache_requests = instrument("genai_lab.cache.requests")
        self._prompts = instrument("genai_lab.prompts")

    # -- stages ----------------------------------------------------------------------------
    def prepare(
        self,
        request: ChatRequest,
        template: str | None = None,
        variables: dict[str, str] | None = None,
    ) -> ChatRequest:
        """Template and redaction: the request exactly as the model (and the cache) sees it."""
        messages = request.messages
        if template is not None:
            messages = self.templates.apply(template, messages, variables or {})
        with tracer.start_as_current_span("prompt.redact") as span:
            if self._redacting:
                redacted = tuple(replace(m, content=self.redact(m.content)) for m in messages)
                changed = sum(
                    a.content != b.content for a, b in zip(messages, redacted, strict=True)
                )
                span.set_attribute("redaction.messages_changed", changed)
                messages = redacted
        return replace(request, messages=messages)

    async def prepare_async(
        self,
        request: ChatRequest,
        template: str | None = None,
        variables: dict[str, str] | None = None,
    ) -> ChatRequest:
        """As prepare, handing the event loop back between messages of a large prompt."""
        if sum(len(m.content) for m in request.messages) <= SLICE_CHARS:
            return self.prepare(request, template, variables)
        messages = request.messages
        if template is not None:
            messages = self.templates.apply(template, messages, variables or {})
        with tracer.start_as_current_span("prompt.redact") as span:
            if self._redacting:
                redact = self.redact
                redacted = tuple(
                    await map_yielding(
                        lambda m: replace(m, content=redact(m.content)), messages, _chars
                    )
                )
                changed = sum(
                    a.content != b.content for a, b in zip(messages, redacted, strict=True)
                )
                span.set_attribute("redaction.messages_changed", changed)
                messages = redacted
        return replace(request, messages=messages)

    def _lookup(self, request: ChatRequest) -> tuple[str | None, ChatResult | None]:
        # Tool calls and JSON answers depend on more than the messages: never cached.
        if self.cache is None or request.tools or request.response_format is not None:
            return None, None
        caller = current_caller()
        with tracer.start_as_current_span("cache.lookup") as span:
            key = cache_key(request, caller.tenant_id if caller else "")
            hit = self.cache.get(key)
            result = "hit" if hit is not None else "miss"
            span.set_attribute("cache.result", result)
        self._cache_requests.add(1, {"gen_ai.request.model": request.model, "cache.result": result})
        return key, hit

    def _store(self, key: str | None, result: ChatResult) -> None:
        if self.cache is None or key is None:
            return
        with tracer.start_as_current_span("cache.write"):
            self.cache.put(key, result)

    def _hit(self, request: ChatRequest, usage: Usage) -> None:
        self._count_prompt(request.model, cached=True)
        if request.meter is not None:
            # A hit calls no model: its tokens count against the caller's limits, at no cost.
            request.meter.settle(request.model, usage, cached=True)

    def _count_prompt(self, model: str, cached: bool) -> None:
        caller = current_caller()
        tenant = self._tenant_label(caller.tenant_id if caller else None)
        self._prompts.add(
            1,
            {
                "gen_ai.request.model": model,
                "tenant.id": tenant,
                "cache.result": "hit" if cached else "miss",
            },
        )

    # -- operations ------------------------------------------------------------------------
    async def chat(self, request: ChatRequest) -> ChatOutcome:
        key, hit = self._lookup(request)
        if hit is not None:
            self._hit(request, hit.usage)
            return ChatOutcome(hit, cached=True)
        result = await self.provider.chat(request)
        if self._redacting:
            result = replace(
                result,
                text=self.redact(result.text),
                tool_calls=tuple(
                    replace(c, arguments=self.redact(c.arguments)) for c in result.tool_calls
                ),
            )
        self._store(key, result)
        self._count_prompt(request.model, cached=False)
        return ChatOutcome(result, cached=False)

    async def chat_stream(
        self, request: ChatRequest
    ) -> AsyncGenerator[tuple[StreamChunk, bool], None]:
        """Chunks with a `cached` flag. A hit replays the stored answer as a single chunk."""
        key, hit = self._lookup(request)
        if hit is not None:
            self._hit(request, hit.usage)
            yield StreamChunk(text=hit.text), True
            yield StreamChunk(text="", finish_reason=hit.finish_reason, usage=hit.usage), True
            return
        parts: list[str] = []
        counted = started = False
        try:
            async with aclosing(self.provider.chat_stream(request)) as stream:
                async for chunk in stream:
                    if chunk.text and self._redacting:
                        # Per chunk: a secret split across two chunks can slip through; the
                        # cached copy below is redacted as a whole.
                        chunk = replace(chunk, text=self.redact(chunk.text))
                    if chunk.tool_calls and self._redacting:
                        calls = tuple(
                            replace(c, arguments=self.redact(c.arguments)) for c in chunk.tool_calls
                        )
                        chunk = replace(chunk, tool_calls=calls)
                    parts.append(chunk.text)
                    if chunk.finish_reason is not None and chunk.usage is not None:
                        text = "".join(parts)
                        self._store(
                            key,
                            ChatResult(
                                text=self.redact(text) if self._redacting else text,
                                finish_reason=chunk.finish_reason,
                                usage=chunk.usage,
                                response_model=request.model,
                                response_id="",
                            ),
                        )
                        self._count_prompt(request.model, cached=False)
                        counted = True
                    started = True
                    yield chunk, False
        finally:
            if started and not counted:
                # Cut short (client closed, provider failed): the prompt was still served.
                self._count_prompt(request.model, cached=False)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        return await self.provider.embed(request)
