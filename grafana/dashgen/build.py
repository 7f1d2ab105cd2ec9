"""Render every generated file: dashboards, SLO rules, the AWS Alertmanager definition, the
CloudWatch dashboard, and the runbook_url lines of the hand-written rule files
(dashgen/runbooks.py)."""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashgen import amp, cloudwatch, runbooks, slo
from dashgen.dashboards import DASHBOARDS
from dashgen.names import DASHBOARD_DIR, SLO_RULES_FILE


def render_dashboard(name: str) -> str:
    built = DASHBOARDS[name]().build()
    # Round-trip through the SDK's encoder, then sort keys so diffs stay stable.
    data = json.loads(json.dumps(built, cls=JSONEncoder))
    _number_panels(data)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _number_panels(data: dict) -> None:
    # Stable panel ids (Grafana needs unique ids for links to a panel).
    next_id = 1
    for panel in data.get("panels", []):
        panel["id"] = next_id
        next_id += 1
        for inner in panel.get("panels", []) or []:
            inner["id"] = next_id
            next_id += 1


def outputs() -> dict[Path, str]:
    files = {DASHBOARD_DIR / name: render_dashboard(name) for name in DASHBOARDS}
    files[SLO_RULES_FILE] = slo.render_rules()
    files[amp.AMP_DEFINITION] = amp.render_amp_definition()
    files[cloudwatch.CLOUDWATCH_DASHBOARD] = cloudwatch.render()
    files.update(runbooks.rule_files())
    return files
