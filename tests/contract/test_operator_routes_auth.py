"""/crash and /admin in the stack's configuration (REQUIRE_API_KEY on), as a real uvicorn:
/crash needs the admin token or an API key, and every refused admin token is an auth_failed
security event on the same counter AuthFailureSpike reads."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tools.processes import free_port, prometheus_exporter_env, run_service

pytestmark = pytest.mark.contract

ADMIN = "contract-admin-token-0123456789"
KEY = "contract-lab-key-0123456789"


def _auth_failures(metrics_port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("genai_lab_security_events_total{")
        and 'event_type="auth_failed"' in line
    )


def test_crash_needs_a_key_and_admin_guesses_are_security_events() -> None:
    metrics_port = free_port()
    env = {
        **prometheus_exporter_env(metrics_port),
        "REQUIRE_API_KEY": "true",
        "LAB_API_KEY": KEY,
        "ADMIN_TOKEN": ADMIN,
        "LOG_GENERATOR_ENABLED": "false",
    }
    with run_service(env) as service, httpx.Client(base_url=service.base_url, timeout=5) as c:
        # 21: /crash is refused without credentials, in the API's error shape...
        r = c.get("/crash")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert c.get("/crash", headers={"Authorization": "Bearer nope"}).status_code == 401
        # ...and crashes for the lab key (Locust, the demo) or the admin token.
        for secret in (KEY, ADMIN):
            crashed = c.get("/crash", headers={"Authorization": f"Bearer {secret}"})
            assert crashed.status_code == 500
            assert crashed.json()["error"]["type"] == "server_error"

        # 22: an admin-token brute force is counted like API-key failures.
        before = _auth_failures(metrics_port)
        guesses = [
            c.get("/admin/faults", headers={"Authorization": f"Bearer guess-{i}"})
            for i in range(30)
        ]
        assert {g.status_code for g in guesses} == {403}
        assert c.get("/admin/faults").status_code == 401
        assert (
            c.get("/admin/faults", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
        )
        assert _auth_failures(metrics_port) - before == 31

    events = [
        json.loads(line)
        for line in service.output().splitlines()
        if line.startswith("{") and '"security_event"' in line
    ]
    reasons = [e.get("reason") for e in events if e.get("event_type") == "auth_failed"]
    assert reasons.count("admin_token_invalid") == 30
    assert reasons.count("admin_token_missing") == 1
    # The guessed tokens are never written anywhere.
    assert not re.search(r"guess-\d", service.output())
