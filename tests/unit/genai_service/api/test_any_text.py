"""Every text field survives any JSON string: lone UTF-16 surrogates ("\\ud800"), NULs, control
and private-use characters, astral planes. The answer is never a 500 (which would also feed the
error-rate and crash alerts)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genai_service.main import create_app
from genai_service.settings import Settings

pytestmark = pytest.mark.unit

# Any code point a JSON string can carry, surrogates included (Hypothesis leaves them out by
# default), with the troublemakers drawn often.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.lists(
        st.sampled_from(["\ud800", "\udfff", "\udc00x", "\x00", "\u202e", "\U0001f600", "a"]),
        min_size=1,
        max_size=6,
    ).map("".join),
)

CHAT = "/v1/chat/completions"
MODEL = "claude-haiku-4-5"


def chat(**over: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": "hello"}], **over}


# Each text field of the API, as a function from a string to a (path, body) request.
FIELDS: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {
    "content": lambda s: (CHAT, chat(messages=[{"role": "user", "content": s + "x"}])),
    "system content": lambda s: (
        CHAT,
        chat(messages=[{"role": "system", "content": s}, {"role": "user", "content": "hi"}]),
    ),
    "content parts": lambda s: (
        CHAT,
        chat(messages=[{"role": "user", "content": [{"type": "text", "text": s + "x"}]}]),
    ),
    "name": lambda s: (CHAT, chat(messages=[{"role": "user", "content": "hi", "name": s}])),
    "model": lambda s: (CHAT, chat(model=s)),
    "user": lambda s: (CHAT, chat(user=s)),
    "stop": lambda s: (CHAT, chat(stop=[s])),
    "template": lambda s: (CHAT, chat(template=s)),
    "template variable": lambda s: (
        CHAT,
        chat(template="summarise", template_variables={"sentences": "2", "text": s}),
    ),
    "template variable name": lambda s: (
        CHAT,
        chat(template="classify", template_variables={s: "x", "message": "m"}),
    ),
    "stream content": lambda s: (
        CHAT,
        chat(messages=[{"role": "user", "content": s + "y"}], stream=True),
    ),
    "embedding input": lambda s: (
        "/v1/embeddings",
        {"model": "titan-embed-text-v2", "input": [s + "x"]},
    ),
    "embedding model": lambda s: ("/v1/embeddings", {"model": s, "input": "x"}),
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Per test, after the autouse fixtures: the app must be built on the in-memory telemetry
    # pipeline, never on one of its own.
    settings = replace(Settings.from_env({"SIM_LATENCY_MS": "0", "SIM_TOKEN_MS": "0"}))
    assert settings.cache_enabled  # the cache key must survive any text too
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(sorted(FIELDS)), text=ANY_TEXT)
def test_no_text_in_any_field_gives_a_500(client: TestClient, field: str, text: str) -> None:
    path, body = FIELDS[field](text)
    # json.dumps escapes what UTF-8 cannot carry ("\ud800" stays a JSON escape), as clients do.
    raw = json.dumps(body).encode()
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500, (field, text, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_lone_surrogate_in_each_field(client: TestClient, field: str) -> None:
    path, body = FIELDS[field]("\ud800")
    raw = json.dumps(body).encode()
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500, (field, r.status_code, r.text[:300])
