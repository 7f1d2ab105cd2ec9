"""An offline model that behaves like a real one: deterministic, on-topic text
(simulated_text.py), real token counts, realistic latency and pacing, and the errors real
providers return.

The answer depends only on the seed and the request (same input, same output), so caches,
tests and demos are reproducible. Latency and error draws come from a separate seeded stream,
so identical requests still see a spread of latencies the way a real backend shows them.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import uuid
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field

from genai_service.errors import ErrorType
from genai_service.providers import simulated_text, tool_synthesis
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    StreamChunk,
    Usage,
)
from genai_service.providers.tokens import (
    count_prompt_tokens,
    count_prompt_tokens_yielding,
    count_tokens,
)
from genai_service.providers.tool_types import ToolCall


@dataclass(frozen=True)
class SimulatedConfig:
    seed: int = 42
    latency_ms: float = 350.0  # median time to first token; 0 turns every delay off
    latency_sigma: float = 0.35
    token_ms: float = 12.0
    min_output_tokens: int = 16
    max_output_tokens: int = 160
    error_rates: Mapping[str, float] = field(default_factory=dict)
    timeout_s: float = 1.0
    embedding_dimensions: int = 1024


def _digest(*parts: object) -> int:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(repr(p).encode())
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "big")


class SimulatedProvider:
    name = "simulated"

    def __init__(self, config: SimulatedConfig | None = None) -> None:
        self.config = config or SimulatedConfig()
        # Latency and error draws: seeded, but a stream shared by all calls.
        self._chance = random.Random(self.config.seed)
        self._rates = tuple(self.config.error_rates.items())

    # -- pure parts -------------------------------------------------------------------------
    def answer(self, request: ChatRequest) -> tuple[list[str], str]:
        """The answer's stream pieces and finish reason, a pure function of seed and request."""
        seed = request.seed if request.seed is not None else self.config.seed
        rng = random.Random(
            _digest(
                seed,
                request.model,
                tuple((m.role, m.content) for m in request.messages),
                request.temperature,
            )
        )
        lo, hi = self.config.min_output_tokens, self.config.max_output_tokens
        wanted = lo + int(rng.random() * (hi - lo + 1))
        prompt = simulated_text.last_user_text(request.messages)
        if request.response_format is not None and request.response_format.wants_json:
            text = tool_synthesis.json_answer(request.response_format, prompt, rng, wanted)
            pieces = simulated_text.tokens_with_space(text)
            wanted = len(pieces)
        else:
            pieces = simulated_text.compose(prompt, rng, wanted)
        if request.max_tokens is not None and request.max_tokens < wanted:
            return pieces[: request.max_tokens], "length"
        return pieces, "stop"

    def vector(self, model: str, text: str, dimensions: int) -> tuple[float, ...]:
        rng = random.Random(_digest(self.config.seed, model, text))
        raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
        norm = math.sqrt(sum(v * v for v in raw)) or 1.0
        return tuple(v / norm for v in raw)

    def time_to_first_token_s(self) -> float:
        if self.config.latency_ms <= 0:
            return 0.0
        median = self.config.latency_ms / 1000.0
        return median * math.exp(self._chance.gauss(0.0, self.config.latency_sigma))

    def per_token_s(self) -> float:
        return 0.0 if self.config.latency_ms <= 0 else self.config.token_ms / 1000.0

    def draw_error(self) -> str | None:
        if not self._rates:
            return None
        x = self._chance.random()
        for kind, rate in self._rates:
            if x < rate:
                return kind
            x -= rate
        return None

    # -- Provider interface -----------------------------------------------------------------
    async def _maybe_fail(self) -> None:
        kind = self.draw_error()
        if kind is None:
            return
        if kind == "timeout" and self.config.timeout_s > 0:
            await asyncio.sleep(self.config.timeout_s)
        raise ErrorType(kind).error()

    def tool_call(self, request: ChatRequest) -> ToolCall | None:
        seed = request.seed if request.seed is not None else self.config.seed
        return tool_synthesis.tool_call(request, seed)

    async def _call_tool(self, request: ChatRequest, call: ToolCall) -> ChatResult:
        tokens = count_tokens(call.name) + count_tokens(call.arguments)
        delay = self.time_to_first_token_s() + self.per_token_s() * tokens
        if delay > 0:
            await asyncio.sleep(delay)
        return ChatResult(
            text="",
            finish_reason="tool_calls",
            usage=Usage(count_prompt_tokens(request.messages), tokens),
            response_model=request.model,
            response_id=f"chatcmpl-{uuid.uuid4().hex}",
            tool_calls=(call,),
        )

    async def chat(self, request: ChatRequest) -> ChatResult:
        await self._maybe_fail()
        if (call := self.tool_call(request)) is not None:
            return await self._call_tool(request, call)
        pieces, finish = self.answer(request)
        delay = self.time_to_first_token_s() + self.per_token_s() * len(pieces)
        if delay > 0:
            await asyncio.sleep(delay)
        text = "".join(pieces)
        prompt_tokens = await count_prompt_tokens_yielding(request.messages)
        return ChatResult(
            text=text,
            finish_reason=finish,
            usage=Usage(prompt_tokens, count_tokens(text)),
            response_model=request.model,
            response_id=f"chatcmpl-{uuid.uuid4().hex}",
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        await self._maybe_fail()
        if (call := self.tool_call(request)) is not None:
            result = await self._call_tool(request, call)
            yield StreamChunk(text="", tool_calls=result.tool_calls)
            yield StreamChunk(text="", finish_reason=result.finish_reason, usage=result.usage)
            return
        pieces, finish = self.answer(request)
        ttft, pace = self.time_to_first_token_s(), self.per_token_s()
        if ttft > 0:
            await asyncio.sleep(ttft)
        for i, piece in enumerate(pieces):
            if i and pace > 0:
                await asyncio.sleep(pace)
            yield StreamChunk(text=piece)
        text = "".join(pieces)
        prompt_tokens = await count_prompt_tokens_yielding(request.messages)
        yield StreamChunk(
            text="",
            finish_reason=finish,
            usage=Usage(prompt_tokens, count_tokens(text)),
        )

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        await self._maybe_fail()
        if self.config.latency_ms > 0:
            # Embedding calls are much faster than generation: a tenth of the chat latency.
            await asyncio.sleep(self.time_to_first_token_s() / 10)
        dims = request.dimensions or self.config.embedding_dimensions
        vectors = tuple(self.vector(request.model, text, dims) for text in request.inputs)
        tokens = sum(count_tokens(t) for t in request.inputs)
        return EmbeddingResult(
            vectors=vectors, usage=Usage(tokens, 0), response_model=request.model
        )
