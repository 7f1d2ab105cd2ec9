"""Every bad input gets a 4xx in OpenAI's error shape with a clear message, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from genai_service.main import create_app
from tests.unit.genai_service.api.conftest import make_settings

pytestmark = pytest.mark.unit

GOOD_MSG = [{"role": "user", "content": "hi"}]
CHAT = "/v1/chat/completions"
EMBED = "/v1/embeddings"


def assert_openai_error(
    r, status: int, *, param: str | None = None, code: str | None = None
) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert isinstance(err["message"], str) and len(err["message"]) > 10
    if param is not None:
        assert err["param"] == param
    if code is not None:
        assert err["code"] == code
    return err


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'{"model": "claude-haiku-4-5", "messages": [', "invalid_json"),
        (b"", "validation"),
        (b"[]", "validation"),
        (b'"just a string"', "validation"),
    ],
)
def test_unparseable_or_non_object_bodies(client: TestClient, raw: bytes, code: str) -> None:
    r = client.post(CHAT, content=raw, headers={"content-type": "application/json"})
    assert_openai_error(r, 400, code=code)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": GOOD_MSG}, "model"),
        ({"model": "claude-haiku-4-5"}, "messages"),
        ({"model": "claude-haiku-4-5", "messages": []}, "messages"),
        ({"model": "claude-haiku-4-5", "messages": "hi"}, "messages"),
        ({"model": 42, "messages": GOOD_MSG}, "model"),
        (
            {"model": "claude-haiku-4-5", "messages": [{"role": "wizard", "content": "x"}]},
            "messages.0.role",
        ),
        ({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": 5}]}, None),
        # Found by schemathesis: a text part whose text is not a string.
        (
            {
                "model": "claude-haiku-4-5",
                "messages": [{"role": "user", "content": [{"type": "text", "text": {}}]}],
            },
            None,
        ),
        (
            {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "   "}]},
            "messages",
        ),
        ({"model": "claude-haiku-4-5", "messages": GOOD_MSG, "max_tokens": 0}, "max_tokens"),
        ({"model": "claude-haiku-4-5", "messages": GOOD_MSG, "max_tokens": "ten"}, "max_tokens"),
        ({"model": "claude-haiku-4-5", "messages": GOOD_MSG, "temperature": 3}, "temperature"),
        ({"model": "claude-haiku-4-5", "messages": GOOD_MSG, "n": 2}, "n"),
        ({"model": "claude-haiku-4-5", "messages": GOOD_MSG, "stream": "yes please"}, "stream"),
    ],
)
def test_wrong_types_and_values(client: TestClient, body: dict, param: str | None) -> None:
    err = assert_openai_error(client.post(CHAT, json=body), 400, code="validation")
    assert err["type"] == "invalid_request_error"
    if param is not None:
        assert err["param"] == param, err


def test_unknown_model_is_a_400_listing_the_models(client: TestClient) -> None:
    err = assert_openai_error(
        client.post(CHAT, json={"model": "gpt-17", "messages": GOOD_MSG}),
        400,
        param="model",
        code="model_not_found",
    )
    assert "gpt-17" in err["message"] and "claude-haiku-4-5" in err["message"]


def test_embedding_model_cannot_chat_and_chat_model_cannot_embed(client: TestClient) -> None:
    assert_openai_error(
        client.post(CHAT, json={"model": "titan-embed-text-v2", "messages": GOOD_MSG}),
        400,
        param="model",
    )
    assert_openai_error(
        client.post(EMBED, json={"model": "claude-haiku-4-5", "input": "x"}), 400, param="model"
    )


def test_max_tokens_above_the_service_limit(client: TestClient) -> None:
    body = {"model": "claude-haiku-4-5", "messages": GOOD_MSG, "max_tokens": 10_000_000}
    err = assert_openai_error(client.post(CHAT, json=body), 400, param="max_tokens")
    assert "8192" in err["message"]


def test_unknown_template_and_missing_variables(client: TestClient) -> None:
    body = {"model": "claude-haiku-4-5", "messages": GOOD_MSG, "template": "nope"}
    assert_openai_error(client.post(CHAT, json=body), 400, param="template")
    body = {**body, "template": "summarise", "template_variables": {"text": "x"}}
    assert_openai_error(client.post(CHAT, json=body), 400, param="template_variables")


@pytest.mark.parametrize(
    "body",
    [
        {"model": "titan-embed-text-v2"},
        {"model": "titan-embed-text-v2", "input": ""},
        {"model": "titan-embed-text-v2", "input": []},
        {"model": "titan-embed-text-v2", "input": ["ok", ""]},
        {"model": "titan-embed-text-v2", "input": [1, 2]},
        {"model": "titan-embed-text-v2", "input": "x", "encoding_format": "hex"},
        {"model": "titan-embed-text-v2", "input": "x", "dimensions": 0},
    ],
)
def test_bad_embedding_requests(client: TestClient, body: dict) -> None:
    assert_openai_error(client.post(EMBED, json=body), 400)


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        # Titan Text Embeddings V2 returns 256, 512 or 1024 dimensions, nothing else.
        ({"input": "x", "dimensions": 4096}, "dimensions", "256, 512, 1024"),
        ({"input": "x", "dimensions": 8}, "dimensions", "256, 512, 1024"),
        ({"input": ["x"] * 2048, "dimensions": 1024}, "input", "at most 128"),
        ({"input": "a " * 25_001}, "input", "at most 50000"),
        ({"input": ["word " * 9_000] * 10}, "input", "at most 400000"),
    ],
)
def test_embeddings_outside_the_models_limits_are_refused(
    client: TestClient, body: dict, param: str, words: str
) -> None:
    r = client.post(EMBED, json={"model": "titan-embed-text-v2", **body})
    error = assert_openai_error(r, 400)
    assert error["param"] == param and words in error["message"]


@pytest.mark.parametrize("dimensions", [256, 512, 1024])
def test_embeddings_at_the_models_limits_are_served(client: TestClient, dimensions: int) -> None:
    body = {"model": "titan-embed-text-v2", "input": ["x"] * 128, "dimensions": dimensions}
    r = client.post(EMBED, json=body)
    assert r.status_code == 200
    assert {len(d["embedding"]) for d in r.json()["data"]} == {dimensions}


def test_oversized_body_is_413_by_content_length() -> None:
    with TestClient(create_app(make_settings(max_body_bytes=2048))) as small:
        big = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "x" * 5000}]}
        err = assert_openai_error(small.post(CHAT, json=big), 413, code="body_too_large")
        assert "2048" in err["message"]


def test_oversized_chunked_body_is_413() -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1024

    with TestClient(create_app(make_settings(max_body_bytes=2048))) as small:
        r = small.post(CHAT, content=chunks(), headers={"content-type": "application/json"})
        assert_openai_error(r, 413, code="body_too_large")


def test_unknown_path_and_wrong_method(client: TestClient) -> None:
    assert_openai_error(client.get("/v1/nothing-here"), 404, code="not_found")
    assert_openai_error(client.get(CHAT), 405, code="method_not_allowed")


def test_crash_is_a_500_without_the_traceback(client: TestClient) -> None:
    r = client.get("/crash", headers={"X-Request-ID": "crash-123"})
    err = assert_openai_error(r, 500)
    assert err["type"] == "server_error"
    assert "crash-123" in err["message"]
    assert "Traceback" not in r.text and "ZeroDivisionError" not in r.text
    assert r.headers["x-request-id"] == "crash-123"
