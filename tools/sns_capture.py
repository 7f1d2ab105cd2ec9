"""Capture what AMP's alert manager publishes to SNS, from the real Alertmanager.

AMP runs Alertmanager with the definition dashgen generates (alertmanager/aws/
alertmanager-definition.yaml). This runs the real Alertmanager from `make tools` with that same
definition: the same routes and the same templates, only each sns_config's api_url pointed at a
recording server on loopback (AMP sets api_url itself) with placeholder SigV4 keys, and group
waits shortened. It posts alerts as the rules would raise them, then ends them, and keeps each
SNS Publish request as it arrived (AWS query protocol, form-encoded). Refresh the fixtures with:

    .venv/bin/python -m tools.sns_capture tests/fixtures/aiops/sns
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from tools.am_capture import SCENARIOS, capture_meta, post_alerts, write_captures
from tools.processes import ROOT, run_alertmanager
from tools.recorder import Recorder, recording_server

DEFINITION = ROOT / "alertmanager" / "aws" / "alertmanager-definition.yaml"

#: CrashStorm as the webhook capture raises it, with a description holding the characters a
#: JSON message must escape (quote, backslash, newline, tab).
ALERTS: list[dict[str, Any]] = [
    {
        **alert,
        "annotations": alert["annotations"]
        | {"description": 'Requests ended in "RuntimeError" on C:\\lab\n\tsecond line'},
    }
    for alert in SCENARIOS["crashstorm"]
]


def amp_config(sns_url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The AMP definition as a plain Alertmanager config and its template files."""
    definition = yaml.safe_load(DEFINITION.read_text())
    config = yaml.safe_load(definition["alertmanager_config"])
    for receiver in config["receivers"]:
        for sns in receiver.get("sns_configs", []):
            sns["api_url"] = sns_url
            sns["sigv4"] |= {"access_key": "AKIDLABPLACEHOLDER", "secret_key": "lab-placeholder"}

    def fast(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route or route is config["route"]:
                route[key] = "1s"
        for child in route.get("routes", []):
            fast(child)

    fast(config["route"])
    return config, definition["template_files"]


def _publishes(rec: Recorder, status: str, timeout_s: float = 30) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with rec.lock:
            bodies = [r.body.decode() for r in rec.requests]
        for body in bodies:
            form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
            message = json.loads(form.get("Message", "{}") or "{}")
            if form.get("Action") == "Publish" and message.get("status") == status:
                return form
        time.sleep(0.1)
    raise TimeoutError(f"no {status} Publish recorded")


def capture(workdir: Path) -> dict[str, Any]:
    captured: dict[str, Any] = {}
    with recording_server() as rec:
        # What SNS answers to Publish; the body does not matter to what was sent.
        workdir.mkdir(parents=True, exist_ok=True)
        config, templates = amp_config(f"{rec.base_url}/")
        for name, text in templates.items():
            (workdir / name).write_text(text)
        path = workdir / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        with run_alertmanager(path, workdir / "am") as am:
            start = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
            for a in ALERTS:
                a["startsAt"] = start.replace("+00:00", "Z")
            post_alerts(am.base_url, ALERTS, end=False)
            captured["crashstorm-firing"] = _publishes(rec, "firing")
            post_alerts(am.base_url, ALERTS, end=True)
            captured["crashstorm-resolved"] = _publishes(rec, "resolved")
            captured["meta"] = capture_meta(
                am.base_url,
                "tools/sns_capture.py: real Alertmanager running the generated "
                "AMP definition, SNS Publish requests recorded as received (form fields)",
            )
    return captured


if __name__ == "__main__":
    write_captures(sys.argv[1], capture)
