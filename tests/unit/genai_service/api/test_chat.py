"""POST /v1/chat/completions: plain and streamed answers in OpenAI's shapes, cache, templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.unit

BODY = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hello there"}]}


def sse(text: str) -> list[Any]:
    events = []
    for block in text.strip().split("\n\n"):
        assert block.startswith("data: "), block
        data = block[len("data: ") :]
        events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_completion_shape_and_usage(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json=BODY)
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "claude-haiku-4-5"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_repeated_request_is_served_from_the_cache(client: TestClient) -> None:
    first = client.post("/v1/chat/completions", json=BODY)
    second = client.post("/v1/chat/completions", json=BODY)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.json()["choices"] == second.json()["choices"]
    assert first.json()["id"] != second.json()["id"]


def test_max_tokens_limits_the_answer(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", json={**BODY, "max_tokens": 3})
    assert r.json()["usage"]["completion_tokens"] == 3
    assert r.json()["choices"][0]["finish_reason"] == "length"
    r = client.post("/v1/chat/completions", json={**BODY, "max_completion_tokens": 4})
    assert r.json()["usage"]["completion_tokens"] == 4


def test_content_parts_are_accepted(client: TestClient) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    assert client.post("/v1/chat/completions", json=body).status_code == 200


def test_stream_chunks_end_with_usage_and_done(client: TestClient) -> None:
    body = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse(r.read().decode())
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    usage_chunk = chunks[-1]
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0
    finish = chunks[-2]["choices"][0]
    assert finish["finish_reason"] == "stop" and finish["delta"] == {}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    plain = client.post("/v1/chat/completions", json=BODY).json()
    assert text == plain["choices"][0]["message"]["content"]
    assert usage_chunk["usage"] == plain["usage"]


def test_stream_without_include_usage_has_no_usage_chunk(client: TestClient) -> None:
    with client.stream("POST", "/v1/chat/completions", json={**BODY, "stream": True}) as r:
        events = sse(r.read().decode())
    assert all("usage" not in e for e in events[:-1])
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_template_request(client: TestClient) -> None:
    body = {
        **BODY,
        "template": "classify",
        "template_variables": {"message": "I was charged twice"},
    }
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    # The template's system prompt and filled user prompt count as input.
    assert (
        r.json()["usage"]["prompt_tokens"]
        > client.post("/v1/chat/completions", json=BODY).json()["usage"]["prompt_tokens"]
    )
