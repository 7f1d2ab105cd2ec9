"""The provider interface: what the orchestrator calls, whatever model sits behind it.

Providers speak in these plain types, never in HTTP or OpenAI shapes: routes translate at the
edge, and the telemetry seam (genai_service.providers.instrumented) wraps any Provider to add GenAI
spans and metrics, so no provider carries instrumentation of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Token counts are what a call is priced by: defined with the prices, part of this interface.
from genai_service.pricing import Usage as Usage


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ChatResult:
    text: str
    finish_reason: str  # OpenAI vocabulary: stop | length | content_filter
    usage: Usage
    response_model: str
    response_id: str


@dataclass(frozen=True)
class StreamChunk:
    """A piece of a streamed answer; the last chunk carries finish_reason and usage."""

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: tuple[str, ...]
    dimensions: int | None = None  # None: the model's default size


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

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]: ...

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult: ...
