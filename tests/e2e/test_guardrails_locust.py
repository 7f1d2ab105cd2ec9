"""Locust, as the compose stack runs it, against the service with API keys required: each
simulated tenant's generated key lets it through as itself, none of Locust's prompts trips the
injection guardrail, and no key appears in the service's output.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.support.locust_headless import run_locust
from tools.processes import run_service

pytestmark = pytest.mark.e2e


def test_locust_runs_clean_with_the_generated_tenant_keys(tmp_path: Path) -> None:
    # As the compose stack wires it: one generated key per tenant Locust plays.
    keys = {t: f"sk-{t}-" + secrets.token_urlsafe(24) for t in ("acme", "globex", "initech")}
    env = {
        "REQUIRE_API_KEY": "true",
        "LAB_API_KEY": "sk-lab-" + secrets.token_urlsafe(24),
        "API_KEYS": ",".join(f"{k}:{t}:enterprise" for t, k in keys.items()),
        "SIM_LATENCY_MS": "5",
        "SIM_TOKEN_MS": "0",
    }
    tenant_keys = ",".join(f"{t}={k}" for t, k in keys.items())
    with run_service(env) as service:
        result = run_locust(
            service.base_url, tmp_path, users=5, run_s=5, env={"LAB_TENANT_KEYS": tenant_keys}
        )
        output = service.output()
    total = result.entry("Aggregated")
    assert total.requests >= 50, total
    statuses = [row["Error"] for row in result.failures]
    assert not [e for e in statuses if "401" in e], statuses
    assert not [e for e in statuses if "400" in e or "prompt_injection" in e], statuses
    assert not [e for e in statuses if "429" in e], statuses
    for key in keys.values():
        assert key not in output
    assert "auth_failed" not in output
    # Every tenant calls as itself: nothing acts for anyone else.
    assert "tenant_delegated" not in output


def test_locust_without_the_key_is_refused(tmp_path: Path) -> None:
    env = {"REQUIRE_API_KEY": "true", "LAB_API_KEY": "sk-lab-" + secrets.token_urlsafe(24)}
    with run_service(env) as service:
        result = run_locust(service.base_url, tmp_path, users=2, run_s=3, env={})
    chat = result.entry("chat")
    assert chat.requests > 0 and chat.failures == chat.requests
