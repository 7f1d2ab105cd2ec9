"""Guardrails in the compose stack (Docker engine only; skipped here with the reason):
the generated LAB_API_KEY works with the official openai client, a request without it is
refused (the stack sets REQUIRE_API_KEY=true), Locust's traffic raises no auth failures, and
security events reach Prometheus under their catalogue name.
"""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.stack.conftest import Lab

pytestmark = pytest.mark.stack

DEADLINE_S = 60.0


def prom(lab: Lab, query: str) -> list[dict]:
    r = lab.backend("prometheus", "/api/v1/query", query=query)
    r.raise_for_status()
    return list(r.json()["data"]["result"])


def test_openai_client_works_with_the_generated_key(lab: Lab) -> None:
    client = openai.OpenAI(
        base_url=lab.url("GENAI_SERVICE_PORT") + "/v1", api_key=lab.env["LAB_API_KEY"]
    )
    model = next(m.id for m in client.models.list() if "embed" not in m.id)
    answer = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hello from the stack test"}]
    )
    assert answer.choices[0].message.content


def test_missing_key_is_refused_and_counted(lab: Lab) -> None:
    url = lab.url("GENAI_SERVICE_PORT") + "/v1/models"
    for _ in range(3):
        r = httpx.get(url, timeout=10)
        assert r.status_code == 401, "the stack must run the service with REQUIRE_API_KEY=true"
        assert r.json()["error"]["code"] == "invalid_api_key"
    query = 'sum(genai_lab_security_events_total{event_type="auth_failed"})'
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        result = prom(lab, query)
        if result and float(result[0]["value"][1]) >= 3:
            return
        time.sleep(2)
    raise AssertionError(f"{query} did not reach 3 within {DEADLINE_S:.0f}s")


def test_locust_traffic_raises_no_auth_failures(lab: Lab) -> None:
    # Locust has been running since the stack came up; each tenant's requests carry that
    # tenant's generated key, so the only auth failures are the ones
    # test_missing_key_is_refused_and_counted sent, and no call acts for another tenant.
    served = prom(lab, 'sum(genai_lab_prompts_total{tenant_id=~"acme|globex|initech"})')
    assert served and float(served[0]["value"][1]) > 0
    failed = prom(lab, 'sum(genai_lab_security_events_total{event_type="auth_failed"})')
    assert not failed or float(failed[0]["value"][1]) <= 3
    delegated = prom(lab, 'sum(genai_lab_security_events_total{event_type="tenant_delegated"})')
    assert not delegated
