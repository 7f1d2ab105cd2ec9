"""Recapture from the real Alertmanager: the committed fixtures still match what it sends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aiops.incidents import apply_notification
from aiops.payload import WebhookPayload
from tests.support.aiops_fixtures import load_json
from tools.am_capture import capture

pytestmark = pytest.mark.e2e


def _shape(value: Any) -> Any:
    """Keys and value types, not values: timestamps and fingerprints differ per run."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_live_alertmanager_sends_what_the_fixtures_hold(tmp_path: Path) -> None:
    live = capture(tmp_path)
    scenarios = ("crash", "crashstorm", "latency")
    names = [f"{s}-{status}" for s in scenarios for status in ("firing", "resolved")]
    for name in names:
        committed = load_json(f"alertmanager/{name}.json")
        assert _shape(live[name]) == _shape(committed), name
        payload = WebhookPayload.model_validate(live[name])
        assert payload.groupKey == committed["groupKey"]
        assert sorted(a["labels"]["alertname"] for a in live[name]["alerts"]) == sorted(
            a["labels"]["alertname"] for a in committed["alerts"]
        )
    # Folding the live notifications gives one incident per group, resolved at the end.
    now = datetime.now(UTC)
    for scenario in ("crash", "crashstorm", "latency"):
        firing = WebhookPayload.model_validate(live[f"{scenario}-firing"])
        inc, outcome = apply_notification([], firing, now)
        assert outcome == "created" and inc is not None
        resolved = WebhookPayload.model_validate(live[f"{scenario}-resolved"])
        done, outcome = apply_notification([inc], resolved, now)
        assert outcome == "resolved" and done is not None and done.id == inc.id
