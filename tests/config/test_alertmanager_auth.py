"""The real Alertmanager, with the project's config, sends aiops its bearer token and at most
max_alerts alerts per notification (aiops refuses unauthenticated writes, app/aiops/auth.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.alerting import ALERTMANAGER_CONFIG, write_config
from tools.processes import run_alertmanager
from tools.recorder import recording_server

pytestmark = pytest.mark.config

TOKEN = "am-auth-test-token-0123456789"


def test_every_aiops_webhook_sends_the_token_from_the_secret_file() -> None:
    cfg = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    hooks = [
        h
        for r in cfg["receivers"]
        for h in r.get("webhook_configs", [])
        if h["url"].startswith("http://aiops:")
    ]
    assert len(hooks) == 5
    for hook in hooks:
        assert hook["http_config"]["authorization"] == {
            "type": "Bearer",
            "credentials_file": "/run/secrets/aiops_webhook_token",
        }
        assert 0 < hook["max_alerts"] <= 200  # aiops's limits.MAX_ALERTS


def test_alertmanager_delivers_with_the_bearer_token(tmp_path: Path) -> None:
    with recording_server() as aiops:
        path = write_config(aiops.base_url, tmp_path / "am", TOKEN)
        with run_alertmanager(path, tmp_path / "am") as am:
            alert = {
                "labels": {
                    "alertname": "CrashStorm",
                    "severity": "critical",
                    "category": "availability",
                    "service_name": "genai-service",
                },
                "annotations": {"summary": "test"},
            }
            r = httpx.post(f"{am.base_url}/api/v2/alerts", json=[alert], timeout=10)
            assert r.status_code == 200, r.text
            delivered = aiops.wait_for(1, timeout_s=40, path="/alerts")[0]
    assert delivered.headers.get("Authorization") == f"Bearer {TOKEN}"
