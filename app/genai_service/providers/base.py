"""The provider interface: what the orchestrator calls, whatever model sits behind it.

Providers speak in these plain types, never in HTTP or OpenAI shapes: routes translate at the
edge, and the telemetry seam (providers/instrumented.py) wraps any Provider to add GenAI
spans and metrics, so no provider carries instrumentation of its own.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar, runtime_checkable

# Token counts are what a call is priced by: defined with the prices, part of this interface.
from genai_service.pricing import Usage as Usage
from genai_service.providers.tool_types import ResponseFormat, ToolCall, ToolChoice, ToolSpec


class Meter(Protocol):
    """Who pays for one call (genai_service.guardrails.guard.Admission). The route puts it on
    the request; the provider stack's metering layer settles it, and the layers that report
    the call's cost read it here, so a call is priced once."""

    def cost_usd(self, model: str, usage: Usage) -> float | None:
        """The call's cost; None for a model the pricing table does not price."""
        ...

    def settle(self, model: str, usage: Usage, *, cached: bool = False) -> None:
        """Charge the call's real usage (a cache hit: tokens, no cost) to its tenant, once."""
        ...


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant | tool
    content: str
    tool_call_id: str | None = None  # role "tool": the call this message answers
    tool_calls: tuple[ToolCall, ...] = ()  # role "assistant": the calls it made


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    meter: Meter | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ChatResult:
    text: str
    finish_reason: str  # OpenAI vocabulary: stop | length | content_filter | tool_calls
    usage: Usage
    response_model: str
    response_id: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class StreamChunk:
    """A piece of a streamed answer; the last chunk carries finish_reason and usage."""

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: tuple[str, ...]
    dimensions: int | None = None  # None: the model's default size
    meter: Meter | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: tuple[tuple[float, ...], ...]
    usage: Usage
    response_model: str


@runtime_checkable
class Provider(Protocol):
    #: gen_ai.provider.name, e.g. "aws.bedrock"; the simulator names itself "simulated".
    name: str

    async def chat(self, request: ChatRequest) -> ChatResult: ...

    def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]: ...

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult: ...


AnyRequest = ChatRequest | EmbeddingRequest
UsageHook = Callable[[Usage], Usage]


class ProviderWrapper:
    """A Provider around another one (the layers of providers/stack.py).

    Every call passes through. A subclass that acts around calls overrides begin(): it runs
    before each call and may return a hook that sees (and may replace) the call's final usage,
    whether the call is plain, streamed or an embedding. Attributes the wrapper does not have
    (a provider's extras, such as the fault state) are the inner provider's. The inner stream is
    closed with contextlib.aclosing, so a client that goes away closes every layer down to the
    provider.
    """

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    async def begin(self, request: AnyRequest) -> UsageHook | None:
        return None

    async def chat(self, request: ChatRequest) -> ChatResult:
        hook = await self.begin(request)
        result = await self.inner.chat(request)
        return result if hook is None else _with_usage(result, hook(result.usage))

    async def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        hook = await self.begin(request)
        async with aclosing(self.inner.chat_stream(request)) as stream:
            async for chunk in stream:
                if hook is not None and chunk.usage is not None:
                    chunk = _with_usage(chunk, hook(chunk.usage))
                yield chunk

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        hook = await self.begin(request)
        result = await self.inner.embed(request)
        return result if hook is None else _with_usage(result, hook(result.usage))


R = TypeVar("R", ChatResult, StreamChunk, EmbeddingResult)


def _with_usage(result: R, usage: Usage) -> R:
    return result if usage is result.usage else replace(result, usage=usage)
