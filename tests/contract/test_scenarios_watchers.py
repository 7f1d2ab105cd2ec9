"""The demo's alert watcher reads a real Alertmanager's API (v2) the way the demo needs it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from scenarios.clients import LabUnreachable, Watchers
from tools.processes import free_port, run_alertmanager

pytestmark = pytest.mark.contract

CONFIG = "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n"


def test_firing_alerts_names_active_alerts_only(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG)
    with run_alertmanager(config, tmp_path / "am") as am:
        watchers = Watchers(am.base_url, "http://127.0.0.1:9", None)
        assert watchers.firing_alerts() == []
        now = dt.datetime.now(dt.UTC)
        alerts = [
            {
                "labels": {"alertname": "AvailabilityFastBurn", "severity": "critical"},
                "startsAt": now.isoformat(),
            },
            {  # already resolved: must not count as firing
                "labels": {"alertname": "CrashStorm", "severity": "critical"},
                "startsAt": (now - dt.timedelta(hours=1)).isoformat(),
                "endsAt": (now - dt.timedelta(minutes=30)).isoformat(),
            },
        ]
        r = httpx.post(am.base_url + "/api/v2/alerts", json=alerts, timeout=5)
        assert r.status_code == 200, r.text
        assert watchers.firing_alerts() == ["AvailabilityFastBurn"]
        watchers.close()


def test_unreachable_alertmanager_is_a_lab_error() -> None:
    watchers = Watchers(f"http://127.0.0.1:{free_port()}", "http://127.0.0.1:9", None)
    with pytest.raises(LabUnreachable, match="Alertmanager does not answer"):
        watchers.firing_alerts()
