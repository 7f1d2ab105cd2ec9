"""The process harness starts real Prometheus and Alertmanager and reports them ready."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tools.processes import run_alertmanager, run_prometheus

pytestmark = pytest.mark.e2e


def test_prometheus_starts_and_scrapes_itself(tmp_path: Path) -> None:
    config = "global:\n  scrape_interval: 1s\nscrape_configs: []\n"
    with run_prometheus(config, tmp_path / "prom") as prom:
        r = httpx.get(prom.base_url + "/api/v1/status/buildinfo", timeout=5)
        assert r.json()["data"]["version"].startswith("3.")


def test_alertmanager_starts_with_a_minimal_config(tmp_path: Path) -> None:
    cfg = tmp_path / "am.yml"
    cfg.write_text("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    with run_alertmanager(cfg, tmp_path / "am") as am:
        r = httpx.get(am.base_url + "/api/v2/status", timeout=5)
        assert r.status_code == 200
        assert r.json()["config"]["original"].startswith("global")
