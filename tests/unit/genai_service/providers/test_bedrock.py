"""The Bedrock provider against botocore's own request/response handling, with no network.

Converse and InvokeModel use botocore's Stubber, which checks both our request parameters and
the canned responses against the bedrock-runtime service model shipped in botocore
(botocore/data/bedrock-runtime/2023-09-30/service-2.json: ConverseResponse, TokenUsage,
InvokeModelResponse), so a response shape that Bedrock could not send fails the test.
ConverseStream's event stream cannot be stubbed that way, so it is answered at the HTTP layer
with bytes in the AWS event-stream encoding, which botocore then really decodes.
"""

from __future__ import annotations

import asyncio
import binascii
import io
import json
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from botocore.stub import Stubber

from genai_service.errors import ProviderError
from genai_service.pricing import load_pricing
from genai_service.providers.base import ChatRequest, EmbeddingRequest, Message
from genai_service.providers.bedrock import BedrockProvider, converse_messages
from genai_service.settings import DEFAULT_PRICING_PATH

pytestmark = pytest.mark.unit

PRICING = load_pricing(DEFAULT_PRICING_PATH)
HAIKU = PRICING.models["claude-haiku-4-5"].bedrock_id


def chat_request(**kw: Any) -> ChatRequest:
    return ChatRequest(
        model="claude-haiku-4-5",
        messages=(Message("system", "Be brief."), Message("user", "Hello?")),
        **kw,
    )


def converse_response(text: str = "Hi there.", stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {
            "inputTokens": 12,
            "outputTokens": 4,
            "totalTokens": 16,
            "cacheReadInputTokens": 100,
            "cacheWriteInputTokens": 0,
        },
        "metrics": {"latencyMs": 321},
    }


def test_converse_request_and_response(client: Any) -> None:
    provider = BedrockProvider(client, PRICING)
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            converse_response(),
            expected_params={
                "modelId": HAIKU,
                "messages": [{"role": "user", "content": [{"text": "Hello?"}]}],
                "system": [{"text": "Be brief."}],
                "inferenceConfig": {"maxTokens": 50, "temperature": 1.0},
            },
        )
        result = asyncio.run(provider.chat(chat_request(max_tokens=50, temperature=1.7)))
        stub.assert_no_pending_responses()
    assert result.text == "Hi there."
    assert result.finish_reason == "stop"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (12, 4)
    assert result.usage.cache_read_tokens == 100
    assert result.response_model == "claude-haiku-4-5"


def test_max_tokens_stop_reason_is_length(client: Any) -> None:
    provider = BedrockProvider(client, PRICING)
    with Stubber(client) as stub:
        stub.add_response("converse", converse_response(stop="max_tokens"))
        result = asyncio.run(provider.chat(chat_request()))
    assert result.finish_reason == "length"


@pytest.mark.parametrize(
    ("code", "http", "error_type", "status"),
    [
        ("ThrottlingException", 429, "throttled", 429),
        ("ModelTimeoutException", 408, "timeout", 504),
        ("ServiceUnavailableException", 503, "unavailable", 503),
        ("InternalServerException", 500, "internal", 502),
        ("AccessDeniedException", 403, "internal", 502),
        ("ValidationException", 400, "invalid_request", 400),
    ],
)
def test_bedrock_errors_map_to_provider_errors(
    client: Any, code: str, http: int, error_type: str, status: int
) -> None:
    provider = BedrockProvider(client, PRICING)
    with Stubber(client) as stub:
        stub.add_client_error(
            "converse", service_error_code=code, service_message="nope", http_status_code=http
        )
        with pytest.raises(ProviderError) as info:
            asyncio.run(provider.chat(chat_request()))
    assert (info.value.error_type, info.value.http_status) == (error_type, status)
    assert code in info.value.message
    if error_type == "throttled":
        assert info.value.retry_after_s


def test_messages_are_merged_into_alternating_turns() -> None:
    turns, system = converse_messages(
        (
            Message("system", "s1"),
            Message("assistant", "earlier answer"),
            Message("user", "a"),
            Message("user", "b"),
            Message("assistant", "c"),
        )
    )
    assert system == [{"text": "s1"}]
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2]["content"] == [{"text": "a"}, {"text": "b"}]


def test_titan_embeddings_through_invoke_model(client: Any) -> None:
    provider = BedrockProvider(client, PRICING, embedding_dimensions=256)
    titan = PRICING.models["titan-embed-text-v2"].bedrock_id
    with Stubber(client) as stub:
        for text, vec, n in (("first", [0.1, 0.2], 1), ("second one", [0.3, 0.4], 2)):
            body = json.dumps({"embedding": vec, "inputTextTokenCount": n}).encode()
            stub.add_response(
                "invoke_model",
                {
                    "body": StreamingBody(io.BytesIO(body), len(body)),
                    "contentType": "application/json",
                },
                expected_params={
                    "modelId": titan,
                    "body": json.dumps({"inputText": text, "dimensions": 256, "normalize": True}),
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )
        result = asyncio.run(
            provider.embed(
                EmbeddingRequest(model="titan-embed-text-v2", inputs=("first", "second one"))
            )
        )
    assert result.vectors == ((0.1, 0.2), (0.3, 0.4))
    assert result.usage.input_tokens == 3


def test_titan_refuses_unsupported_dimensions(client: Any) -> None:
    provider = BedrockProvider(client, PRICING)
    with pytest.raises(ProviderError) as info:
        asyncio.run(
            provider.embed(
                EmbeddingRequest(model="titan-embed-text-v2", inputs=("x",), dimensions=7)
            )
        )
    assert info.value.http_status == 400


# -- ConverseStream, answered on the wire ----------------------------------------------------
def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack("B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def event_message(event_type: str, payload: dict[str, Any], *, exception: bool = False) -> bytes:
    """One message in the AWS event-stream encoding (prelude, headers, payload, CRCs)."""
    if exception:
        headers = _header(":exception-type", event_type) + _header(":message-type", "exception")
    else:
        headers = _header(":event-type", event_type) + _header(":message-type", "event")
    headers += _header(":content-type", "application/json")
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        # Odd-sized pieces, so the decoder has to reassemble messages across reads.
        for i in range(0, len(self._data), 37):
            yield self._data[i : i + 37]

    def close(self) -> None:
        pass


def answer_stream_with(client: Any, data: bytes, sent: list[dict[str, Any]]) -> None:
    def before_send(request: Any, **_: Any) -> AWSResponse:
        sent.append(json.loads(request.body))
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, _Raw(data))

    client.meta.events.register("before-send.bedrock-runtime.ConverseStream", before_send)


async def _collect(provider: BedrockProvider, request: ChatRequest) -> list[Any]:
    return [c async for c in provider.chat_stream(request)]


def test_converse_stream_yields_text_then_finish_and_usage(client: Any) -> None:
    data = b"".join(
        [
            event_message("messageStart", {"role": "assistant"}),
            event_message("contentBlockDelta", {"delta": {"text": "Hel"}, "contentBlockIndex": 0}),
            event_message("contentBlockDelta", {"delta": {"text": "lo."}, "contentBlockIndex": 0}),
            event_message("contentBlockStop", {"contentBlockIndex": 0}),
            event_message("messageStop", {"stopReason": "end_turn"}),
            event_message(
                "metadata",
                {
                    "usage": {"inputTokens": 9, "outputTokens": 2, "totalTokens": 11},
                    "metrics": {"latencyMs": 40},
                },
            ),
        ]
    )
    sent: list[dict[str, Any]] = []
    answer_stream_with(client, data, sent)
    chunks = asyncio.run(_collect(BedrockProvider(client, PRICING), chat_request(max_tokens=5)))
    assert "".join(c.text for c in chunks) == "Hello."
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens == 2
    assert sent[0]["inferenceConfig"] == {"maxTokens": 5}
    assert sent[0]["system"] == [{"text": "Be brief."}]


def test_converse_stream_error_event_becomes_a_provider_error(client: Any) -> None:
    data = event_message("messageStart", {"role": "assistant"}) + event_message(
        "throttlingException", {"message": "Too many tokens"}, exception=True
    )
    answer_stream_with(client, data, [])
    with pytest.raises(ProviderError) as info:
        asyncio.run(_collect(BedrockProvider(client, PRICING), chat_request()))
    assert info.value.http_status == 429
