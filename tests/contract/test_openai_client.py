"""The official `openai` Python client against the service running under uvicorn.

If the client can parse every answer, real applications pointed at the service can too: this
is the compatibility contract (chat, streamed chat with usage, embeddings, models, errors).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tools.processes import RunningProcess, run_service

pytestmark = pytest.mark.contract

ADMIN = "contract-admin-token"


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    with run_service({"SIM_LATENCY_MS": "0", "SIM_TIMEOUT_S": "0", "ADMIN_TOKEN": ADMIN}) as svc:
        yield svc


@pytest.fixture
def client(service: RunningProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=service.base_url + "/v1", api_key="unused", max_retries=0)


def test_chat_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="claude-haiku-4-5",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is observability?"},
        ],
        max_tokens=40,
        temperature=0.2,
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage is not None
    assert 0 < completion.usage.completion_tokens <= 40
    assert (
        completion.usage.total_tokens
        == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_streamed_chat_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "Stream me something"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    parts, finish, usage = [], None, None
    for chunk in stream:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage is not None:
            usage = chunk.usage
    assert "".join(parts).strip()
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens > 0


def test_embeddings_single_and_batch(client: openai.OpenAI) -> None:
    # The client asks for base64 by default and decodes it itself.
    single = client.embeddings.create(model="titan-embed-text-v2", input="hello")
    assert len(single.data) == 1 and len(single.data[0].embedding) == 1024
    batch = client.embeddings.create(
        model="titan-embed-text-v2", input=["a", "b", "c"], dimensions=256, encoding_format="float"
    )
    assert [d.index for d in batch.data] == [0, 1, 2]
    assert all(len(d.embedding) == 256 for d in batch.data)
    assert batch.usage.prompt_tokens == 3


def test_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "claude-haiku-4-5" in ids
    assert client.models.retrieve("claude-haiku-4-5").id == "claude-haiku-4-5"


def test_bad_input_raises_the_clients_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 400
    assert info.value.code == "model_not_found"
    assert info.value.param == "model"


def test_throttling_raises_the_clients_rate_limit_error(
    client: openai.OpenAI, service: RunningProcess
) -> None:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    httpx.put(
        service.base_url + "/admin/faults",
        json={"error_rate": 1, "error_type": "throttled"},
        headers=admin,
    )
    try:
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(
                model="claude-haiku-4-5", messages=[{"role": "user", "content": "throttle me"}]
            )
        assert info.value.response.headers["retry-after"] == "1"
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(
                model="claude-haiku-4-5",
                messages=[{"role": "user", "content": "throttle my stream"}],
                stream=True,
            )
    finally:
        httpx.delete(service.base_url + "/admin/faults", headers=admin)
    httpx.put(service.base_url + "/admin/faults", json={"outage": True}, headers=admin)
    try:
        with pytest.raises(openai.InternalServerError) as outage:
            client.chat.completions.create(
                model="claude-haiku-4-5", messages=[{"role": "user", "content": "down?"}]
            )
        assert outage.value.status_code == 503
    finally:
        httpx.delete(service.base_url + "/admin/faults", headers=admin)


def test_request_id_round_trip(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="claude-haiku-4-5",
        messages=[{"role": "user", "content": "id please"}],
        extra_headers={"X-Request-ID": "contract-req-1", "X-Tenant-ID": "acme"},
    )
    assert raw.headers["x-request-id"] == "contract-req-1"
    assert raw.parse().choices[0].message.content
