"""Secrets and PII the caller puts where the service echoes them: request ids, URL paths and
query strings, and the values error messages quote back (model, template, model-id path).

A real uvicorn exporting OTLP/HTTP to a decoding receiver; every planted value must be absent
from the response bodies, from stdout and from every OTLP byte.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tools.otlp_receiver import attributes, otlp_http_receiver
from tools.processes import INSTANT_MODEL, run_service

pytestmark = pytest.mark.contract

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Request ids the service's id syntax accepts ([A-Za-z0-9._:-]), each holding a PII shape.
PII_IDS = {
    "us_ssn": "123-45-6789",
    "card_number": "4111111111111111",
    "iban": "GB82WEST12345698765432",
    "ip_address": "203.0.113.77",
    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "in_a_longer_id": "order-4111111111111111",
}
ECHOED = {
    "ssn": "123-45-6789",
    "email_like": "olivia.pope@example.com",
    "card": "5500005555555559",
}
KEY = "contract-echo-key-0123456789"
ENV = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_LOGS_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    "OTEL_BSP_SCHEDULE_DELAY": "100",
    "OTEL_BLRP_SCHEDULE_DELAY": "100",
    **INSTANT_MODEL,
    "LOG_GENERATOR_ENABLED": "false",
    "RATE_LIMITS_ENABLED": "false",
    "REQUIRE_API_KEY": "true",
    "API_KEYS": f"{KEY}:acme:enterprise",
    "CACHE_ENABLED": "false",
}
FORBIDDEN = [*PII_IDS.values(), *ECHOED.values(), AWS_SECRET, "olivia.pope"]


def _leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [p for p in FORBIDDEN if p.encode() in data]


def test_request_ids_paths_and_echoed_errors_never_leak() -> None:
    bodies: list[str] = []
    with otlp_http_receiver() as (endpoint, received):
        env = {**ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        with (
            run_service(env) as service,
            httpx.Client(
                base_url=service.base_url,
                timeout=10,
                headers={"Authorization": f"Bearer {KEY}"},
            ) as client,
        ):
            chat = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}
            # 11: request ids holding PII are replaced by a generated one, and the answer says so.
            for kind, rid in PII_IDS.items():
                r = client.post("/v1/chat/completions", json=chat, headers={"X-Request-ID": rid})
                assert r.status_code == 200, (kind, r.text)
                assert r.headers["x-request-id"] != rid, kind
                assert uuid.UUID(hex=r.headers["x-request-id"])
                assert r.headers["x-request-id-replaced"] == "contains-pii"
            plain = client.get("/readyz", headers={"X-Request-ID": "checkout-42.retry:1"})
            assert plain.headers["x-request-id"] == "checkout-42.retry:1"
            assert "x-request-id-replaced" not in plain.headers
            # 12: an AWS secret key after a '/' in the path, and in the query string.
            for path in (
                f"/v1/models/{AWS_SECRET}",
                f"/v1/keys/{AWS_SECRET}/rotate",
                f"/v1/models?token={AWS_SECRET}",
            ):
                bodies.append(client.get(path).text)
            # 13: values the caller sent, quoted back in error messages.
            cases = [
                client.post("/v1/chat/completions", json={**chat, "model": f"gpt-{ECHOED['ssn']}"}),
                client.post(
                    "/v1/chat/completions",
                    json={**chat, "template": f"t-{ECHOED['email_like']}"},
                ),
                client.get(f"/v1/models/card-{ECHOED['card']}"),
                client.post(
                    "/v1/embeddings", json={"model": f"x {ECHOED['card']}", "input": "hello"}
                ),
            ]
            for r in cases:
                assert 400 <= r.status_code < 500, r.text
                assert "[REDACTED:" in r.json()["error"]["message"], r.text
                bodies.append(r.text)
            assert received.wait_for(
                lambda: (
                    any(
                        attributes(s.attributes).get("url.path", "").startswith("/v1/keys/")
                        for _, s in received.spans()
                    )
                    and len(received.log_records()) > 10
                )
            ), service.output()[-3000:]
        stdout = service.output()

    assert not [(b, _leaks(b)) for b in bodies if _leaks(b)]
    assert not _leaks(stdout), [line for line in stdout.splitlines() if _leaks(line)][:5]
    assert not _leaks(received.all_bytes())
    paths = [attributes(s.attributes).get("url.path", "") for _, s in received.spans()]
    assert "/v1/keys/[REDACTED:aws_secret_key]/rotate" in paths
    access = [r for r in received.log_records() if r.body.string_value.count('"GET /v1/') == 1]
    assert access and all("REDACTED" in r.body.string_value for r in access if "keys" in str(r))
