"""A Provider that answers from a script, for the tests of the layers that wrap one
(providers/stack.py, providers/instrumented.py): a fixed answer, streamed as three words and a
last chunk with the usage, a fixed embedding, an error on demand, and whether its stream was
closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from genai_service.pricing import Usage
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    StreamChunk,
)

WORDS = ("one ", "two ", "three")
USAGE = Usage(input_tokens=12, output_tokens=34, cache_read_tokens=5)
EMBEDDING_USAGE = Usage(input_tokens=9, output_tokens=0)


class ScriptedProvider:
    def __init__(
        self,
        *,
        name: str = "aws.bedrock",
        text: str = "".join(WORDS),
        usage: Usage = USAGE,
        finish_reason: str = "stop",
        fail: Exception | None = None,
        fail_after: int = len(WORDS),
        pause_s: float = 0.0,
    ) -> None:
        """fail: raised by a plain call, and by a stream after its first fail_after words.
        pause_s: the wait before each streamed word."""
        self.name = name
        self.text, self.usage, self.finish_reason = text, usage, finish_reason
        self.fail, self.fail_after, self.pause_s = fail, fail_after, pause_s
        self.closed = False

    async def chat(self, request: ChatRequest) -> ChatResult:
        if self.fail is not None:
            raise self.fail
        return ChatResult(
            text=self.text,
            finish_reason=self.finish_reason,
            usage=self.usage,
            response_model="snapshot-" + request.model,  # as APIs answer with a dated version
            response_id="resp-123",
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        try:
            for word in WORDS if self.fail is None else WORDS[: self.fail_after]:
                await asyncio.sleep(self.pause_s)
                yield StreamChunk(text=word)
            if self.fail is not None:
                raise self.fail
            yield StreamChunk(text="", finish_reason=self.finish_reason, usage=self.usage)
        finally:
            self.closed = True

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        return EmbeddingResult(
            vectors=((0.1, 0.2, 0.3),) * len(request.inputs),
            usage=EMBEDDING_USAGE,
            response_model=request.model,
        )
