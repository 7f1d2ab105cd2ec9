"""Recapture from the real Alertmanager running the generated AMP definition: the committed SNS
fixtures still match what it publishes, so a change to the template or to dashgen's AMP
definition that breaks the Lambda's input fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiops.aws_lambda import parse
from tests.e2e.test_alertmanager_capture import _shape
from tests.support.aiops_fixtures import load_json
from tools.sns_capture import capture

pytestmark = pytest.mark.e2e


def test_live_alertmanager_publishes_what_the_sns_fixtures_hold(tmp_path: Path) -> None:
    live = capture(tmp_path)
    for name in ("crashstorm-firing", "crashstorm-resolved"):
        committed = load_json(f"sns/{name}.json")
        assert sorted(live[name]) == sorted(committed), name
        assert live[name]["Subject"] == committed["Subject"]
        live_message = json.loads(live[name]["Message"])
        assert _shape(live_message) == _shape(json.loads(committed["Message"])), name
        payload, reason = parse(live[name]["Message"])
        assert reason is None and payload is not None
        assert payload.commonAnnotations["description"].count("\n") == 1
