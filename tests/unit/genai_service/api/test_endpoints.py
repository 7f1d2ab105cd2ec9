"""Health, models, embeddings, caller attribution and the admin fault API."""

from __future__ import annotations

import base64
import struct

import pytest
from fastapi.testclient import TestClient

from genai_service.main import create_app
from tests.unit.genai_service.api.conftest import make_settings

pytestmark = pytest.mark.unit

CHAT = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["provider"] == "simulated" and ready["models"] >= 2


def test_models_are_those_of_the_pricing_table(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    ids = [m["id"] for m in body["data"]]
    assert body["object"] == "list"
    assert "claude-haiku-4-5" in ids and "titan-embed-text-v2" in ids
    assert all(m["object"] == "model" and m["owned_by"] for m in body["data"])
    assert client.get("/v1/models/claude-haiku-4-5").json()["id"] == "claude-haiku-4-5"
    assert client.get("/v1/models/nope").status_code == 404


def test_embeddings_float_and_base64(client: TestClient) -> None:
    body = {"model": "titan-embed-text-v2", "input": ["alpha", "beta"], "dimensions": 256}
    floats = client.post("/v1/embeddings", json=body).json()
    assert floats["object"] == "list" and floats["model"] == "titan-embed-text-v2"
    assert [d["index"] for d in floats["data"]] == [0, 1]
    assert all(len(d["embedding"]) == 256 for d in floats["data"])
    assert floats["usage"]["prompt_tokens"] == 2
    b64 = client.post("/v1/embeddings", json={**body, "encoding_format": "base64"}).json()
    decoded = struct.unpack("<256f", base64.b64decode(b64["data"][0]["embedding"]))
    assert decoded == pytest.approx(floats["data"][0]["embedding"], rel=1e-6)
    single = client.post("/v1/embeddings", json={"model": "titan-embed-text-v2", "input": "x"})
    assert len(single.json()["data"]) == 1 and len(single.json()["data"][0]["embedding"]) == 1024


def test_request_id_is_honoured_generated_or_replaced(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "req-42"}).headers["x-request-id"]
        == "req-42"
    )
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    assert (
        client.post("/v1/chat/completions", json=CHAT, headers={"X-Request-ID": "c1"}).headers[
            "x-request-id"
        ]
        == "c1"
    )


# -- admin -----------------------------------------------------------------------------------
def test_admin_needs_the_token(client: TestClient, admin: dict[str, str]) -> None:
    r = client.get("/admin/faults")
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    r = client.get("/admin/faults", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and "error" in r.json()
    r = client.put(
        "/admin/faults", json={"outage": True}, headers={"Authorization": "Bearer wrong"}
    )
    assert r.status_code == 403
    assert client.get("/admin/faults", headers=admin).status_code == 200


def test_admin_is_disabled_without_a_token() -> None:
    with TestClient(create_app(make_settings(admin_token=None))) as c:
        r = c.get("/admin/faults", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "ADMIN_TOKEN" in r.json()["error"]["message"]


def test_put_replaces_the_whole_set_and_delete_restores(
    client: TestClient, admin: dict[str, str]
) -> None:
    defaults = client.get("/admin/faults", headers=admin).json()
    assert defaults == {
        "latency_ms": 0.0,
        "error_rate": 0.0,
        "error_type": "internal",
        "outage": False,
        "token_inflation": 1.0,
    }
    put = client.put(
        "/admin/faults", json={"error_rate": 0.5, "error_type": "timeout"}, headers=admin
    )
    assert put.json() == {**defaults, "error_rate": 0.5, "error_type": "timeout"}
    put = client.put("/admin/faults", json={"token_inflation": 3}, headers=admin)
    assert put.json() == {**defaults, "token_inflation": 3.0}  # error_rate went back to 0
    assert client.delete("/admin/faults", headers=admin).json() == defaults


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 2},
        {"error_type": "meteor"},
        {"latency_ms": -1},
        {"token_inflation": 0.5},
        {"outage": "sometimes"},
        {"unknown_knob": 1},
    ],
)
def test_admin_rejects_bad_fault_sets(
    client: TestClient, admin: dict[str, str], body: dict
) -> None:
    r = client.put("/admin/faults", json=body, headers=admin)
    assert r.status_code == 400 and "error" in r.json()


@pytest.mark.parametrize(
    ("error_type", "status"),
    [("throttled", 429), ("timeout", 504), ("unavailable", 503), ("internal", 502)],
)
def test_injected_errors_look_like_provider_errors(
    client: TestClient, admin: dict[str, str], error_type: str, status: int
) -> None:
    client.put("/admin/faults", json={"error_rate": 1, "error_type": error_type}, headers=admin)
    r = client.post("/v1/chat/completions", json=CHAT)
    assert r.status_code == status
    assert r.json()["error"]["type"] == error_type
    if error_type == "throttled":
        assert int(r.headers["retry-after"]) >= 1
    # Streams fail with the same status before any event is sent.
    r = client.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert r.status_code == status
    # Health is not the provider: it stays green.
    assert client.get("/readyz").status_code == 200


def test_outage_and_token_inflation(client: TestClient, admin: dict[str, str]) -> None:
    plain = client.post("/v1/chat/completions", json={**CHAT, "seed": 1}).json()["usage"]
    client.put("/admin/faults", json={"outage": True}, headers=admin)
    assert client.post("/v1/chat/completions", json={**CHAT, "seed": 2}).status_code == 503
    assert (
        client.post(
            "/v1/embeddings", json={"model": "titan-embed-text-v2", "input": "x"}
        ).status_code
        == 503
    )
    client.put("/admin/faults", json={"token_inflation": 5}, headers=admin)
    inflated = client.post(
        "/v1/chat/completions", json={**CHAT, "seed": 1, "max_tokens": 999}
    ).json()["usage"]
    base = client.post("/v1/chat/completions", json={**CHAT, "seed": 1, "max_tokens": 999})
    assert base.headers["x-cache"] == "hit"
    client.delete("/admin/faults", headers=admin)
    fresh = client.post("/v1/chat/completions", json={**CHAT, "seed": 1, "max_tokens": 998}).json()[
        "usage"
    ]
    assert inflated["completion_tokens"] == 5 * fresh["completion_tokens"]
    assert plain["completion_tokens"] == fresh["completion_tokens"]


def test_fault_defaults_come_from_the_environment() -> None:
    from genai_service.faults import Faults

    settings = make_settings(admin_token="t", faults=Faults(latency_ms=5, outage=True))
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/chat/completions", json=CHAT).status_code == 503
        h = {"Authorization": "Bearer t"}
        c.put("/admin/faults", json={}, headers=h)
        assert c.post("/v1/chat/completions", json=CHAT).status_code == 200
        assert c.delete("/admin/faults", headers=h).json()["outage"] is True
