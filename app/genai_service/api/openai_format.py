"""Pure translation between the provider types and OpenAI's wire shapes."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from genai_service.api import tool_format
from genai_service.api.schemas import ChatCompletionRequest, ChatMessage, EmbeddingRequestBody
from genai_service.guardrails.guard import Prompt
from genai_service.providers.base import ChatRequest, ChatResult, Message, Meter, Usage
from genai_service.providers.tool_types import ToolCall

_ROLE = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
}


def _message(m: ChatMessage) -> Message:
    calls = tuple(
        ToolCall(c.id, c.function.name, c.function.arguments) for c in (m.tool_calls or [])
    )
    return Message(
        _ROLE.get(m.role, "user"), m.text(), tool_call_id=m.tool_call_id, tool_calls=calls
    )


def chat_prompt(body: ChatCompletionRequest) -> Prompt:
    """What the guardrails read of a chat body: every message of every role (as sent, before
    templates and redaction) and every template variable."""
    return Prompt(
        model=body.model,
        messages=tuple((m.role, m.text()) for m in body.messages if m.content is not None),
        variables=body.template_variables or {},
        output_limit=body.output_limit(),
    )


def embedding_prompt(body: EmbeddingRequestBody) -> Prompt:
    inputs = (body.input,) if isinstance(body.input, str) else tuple(body.input)
    return Prompt(model=body.model, inputs=inputs, embedding=True)


def to_chat_request(body: ChatCompletionRequest, meter: Meter | None = None) -> ChatRequest:
    """The provider request, carrying the call's meter (its admission); raises APIError (400)
    for what the service does not honour."""
    tool_format.check_unsupported(body)
    tools, choice = tool_format.to_tools(body)
    messages = tuple(
        _message(m) for m in body.messages if m.text() != "" or m.tool_calls or m.role == "tool"
    )
    return ChatRequest(
        model=body.model,
        messages=messages,
        max_tokens=body.output_limit(),
        temperature=body.temperature,
        seed=body.seed,
        tools=tools,
        tool_choice=choice,
        response_format=tool_format.to_response_format(body),
        meter=meter,
    )


def tool_calls_payload(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in calls
    ]


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


def _message_payload(result: ChatResult) -> dict[str, Any]:
    if not result.tool_calls:
        return {"role": "assistant", "content": result.text}
    return {
        "role": "assistant",
        "content": result.text or None,
        "tool_calls": tool_calls_payload(result.tool_calls),
    }


def json_bytes(payload: Any) -> bytes:
    """Compact UTF-8 JSON. An answer may quote the prompt, and a prompt may hold a lone
    surrogate ("\\ud800" is valid JSON): that text, which UTF-8 cannot carry, goes out escaped."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":")).encode()


def completion_payload(result: ChatResult, model: str, response_id: str, created: int) -> bytes:
    return json_bytes(
        {
            "id": response_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": _message_payload(result),
                    "finish_reason": result.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage_payload(result.usage),
        }
    )


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
        return b"data: " + json_bytes({**self._head, **payload}) + b"\n\n"

    def tool_calls(self, calls: tuple[ToolCall, ...], first_index: int) -> bytes:
        """Each call whole in one delta (OpenAI's clients accumulate arguments either way)."""
        items = [
            {"index": first_index + i, **item} for i, item in enumerate(tool_calls_payload(calls))
        ]
        return self.delta({"tool_calls": items})

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
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
