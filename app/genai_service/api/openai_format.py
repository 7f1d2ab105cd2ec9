"""Pure translation between the provider types and OpenAI's wire shapes."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from genai_service.api.schemas import ChatCompletionRequest
from genai_service.providers.base import ChatRequest, ChatResult, Message, Usage

_ROLE = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def to_chat_request(body: ChatCompletionRequest) -> ChatRequest:
    messages = tuple(
        Message(_ROLE.get(m.role, "user"), m.text()) for m in body.messages if m.text() != ""
    )
    return ChatRequest(
        model=body.model,
        messages=messages,
        max_tokens=body.output_limit(),
        temperature=body.temperature,
        seed=body.seed,
    )


def usage_payload(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
    }
    if usage.cache_read_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    return out


def completion_payload(result: ChatResult, model: str, response_id: str, created: int) -> bytes:
    return json.dumps(
        {
            "id": response_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.text},
                    "finish_reason": result.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage_payload(result.usage),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class ChunkWriter:
    """Server-sent events for one streamed completion, in OpenAI's chunk format."""

    def __init__(self, response_id: str, model: str, created: int) -> None:
        self._head = {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }

    def _event(self, payload: dict[str, Any]) -> bytes:
        data = json.dumps({**self._head, **payload}, ensure_ascii=False, separators=(",", ":"))
        return b"data: " + data.encode() + b"\n\n"

    def delta(self, delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return self._event({"choices": [choice]})

    def usage(self, usage: Usage) -> bytes:
        return self._event({"choices": [], "usage": usage_payload(usage)})

    @staticmethod
    def error(message: str, error_type: str, code: str | None) -> bytes:
        body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    DONE = b"data: [DONE]\n\n"


def encode_vector(vector: tuple[float, ...], encoding: str) -> list[float] | str:
    if encoding == "base64":
        # What the official clients ask for by default: little-endian float32, base64.
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return list(vector)
