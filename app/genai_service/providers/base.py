"""The provider interface: what the orchestrator calls, whatever model sits behind it.

Providers speak in these plain types, never in HTTP or OpenAI shapes: routes translate at the
edge, and the telemetry seam (genai_service.telemetry.genai) wraps any Provider to add GenAI
spans and metrics, so no provider carries instrumentation of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from genai_service.providers.tool_types import ResponseFormat, ToolCall, ToolChoice, ToolSpec


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


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


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


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: tuple[tuple[float, ...], ...]
    usage: Usage
    response_model: str


@dataclass
class ProviderError(Exception):
    """A failure a real provider produces, already mapped to what the API answers.

    error_type is the low-cardinality name used for error.type on spans and metrics
    (throttled, timeout, unavailable, internal, invalid_request).
    """

    error_type: str
    http_status: int
    message: str
    retry_after_s: float | None = None
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


@runtime_checkable
class Provider(Protocol):
    #: gen_ai.provider.name, e.g. "aws.bedrock"; the simulator names itself "simulated".
    name: str

    async def chat(self, request: ChatRequest) -> ChatResult: ...

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]: ...

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult: ...
