"""Loki's side of the call records: the ruler's alert rules, tiered per-stream retention and the
dashboard's LogQL, checked against the one schema of the record and the log classes the service
writes. (Loki itself is not installable here: its real checks, `loki -verify-config` and the
ruler firing on recorded data, are in tests/e2e/test_loki_call_records.py and run when a Loki
binary is given with LOKI_BIN.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashgen.names import DASHBOARD_DIR, DASHBOARD_UIDS, ROOT
from genai_service import log_classes

pytestmark = pytest.mark.config

RULES_DIR = ROOT / "loki" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*/*.yaml"))
LOKI_CONFIGS = [ROOT / "loki" / "loki.yaml", ROOT / "loki" / "loki.aws.yaml"]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "genai-call-record.schema.json").read_text())
# Index labels of the call-record stream: Loki's default OTLP resource labels the selectors
# use, and the one promoted log attribute.
INDEX_LABELS = {"service_name", "service_namespace", "deployment_environment_name"}
CLASS_LABEL = log_classes.ATTRIBUTE.replace(".", "_")
# Loki's names for the record's fields: OTLP attribute names with dots as underscores.
RECORD_FIELDS = {name.replace(".", "_") for name in SCHEMA["properties"]}
HOUR = 3600
DAY = 24 * HOUR


def loki_names(expr: str) -> set[str]:
    """Label and field names a LogQL expression filters on, unwraps or groups by."""
    names = set(re.findall(r"[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", expr))
    names |= set(re.findall(r"\|\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=|>|<)", expr))
    names |= set(re.findall(r"unwrap\s+([a-zA-Z_][a-zA-Z0-9_]*)", expr))
    for kept in re.findall(r"\|\s*keep\s+([^|]*)", expr):
        names |= {n.strip() for n in kept.split(",") if n.strip()}
    for group in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    return names - {"__error__"}


def stream_selectors(expr: str) -> list[str]:
    return re.findall(r"\{[^{}]*\}", expr)


def non_empty_compatible(selector: str) -> bool:
    """Loki refuses selectors whose every matcher accepts the empty string."""
    for _name, op, value in re.findall(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"', selector):
        if op == "=" and value != "":
            return True
        if op == "=~" and not re.fullmatch(value, ""):
            return True
    return False


def call_record_queries() -> list[tuple[str, str]]:
    """(where, expr) of every LogQL that reads the call records: rules and dashboards."""
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found.append((f"{path.name}:{rule.get('alert')}", rule["expr"]))
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets") or []:
                expr = target.get("expr", "")
                if (
                    target.get("datasource", {}).get("uid") == "loki"
                    and f'{CLASS_LABEL}="call"' in expr
                ):
                    found.append((f"{path.name}:{panel['title']}", expr))
    return found


def alerts() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_rules_live_where_the_ruler_reads_them() -> None:
    assert RULE_FILES, "no Loki rule files"
    # auth_enabled: false makes every request tenant "fake"; the local rule store is
    # <directory>/<tenant>/*.yaml.
    assert {p.parent.name for p in RULE_FILES} == {"fake"}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["loki"]["volumes"]
    for config_path in LOKI_CONFIGS:
        ruler = yaml.safe_load(config_path.read_text())["ruler"]
        directory = ruler["storage"]["local"]["directory"]
        assert f"./loki/rules:{directory}:ro" in mounts
        assert ruler["storage"]["type"] == "local"
    # The lab's one Alertmanager, by its compose service name. On AWS the alert goes through
    # AMP instead (tests/config/test_loki_aws_ruler.py).
    ruler = yaml.safe_load(LOKI_CONFIGS[0].read_text())["ruler"]
    assert ruler["alertmanager_url"] == "http://alertmanager:9093"
    assert "alertmanager" in compose["services"]


def test_alerts_follow_the_shared_label_and_runbook_conventions() -> None:
    found = alerts()
    assert {a["alert"] for a in found} >= {"UserOverDailyBudget"}
    for alert in found:
        name = alert["alert"]
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert alert["labels"]["category"] in {
            "availability",
            "latency",
            "cost",
            "pipeline",
            "security",
        }, name
        ann = alert["annotations"]
        assert {"summary", "description", "runbook_url", "dashboard"} <= set(ann), name
        assert ann["runbook_url"] == f"docs/runbooks/{name}.md"
        assert ann["dashboard"] in DASHBOARD_UIDS
        runbook = (ROOT / ann["runbook_url"]).read_text()
        assert runbook.startswith(f"# {name}\n")
        for section in ("What it means", "Confirm", "Likely causes", "Remediation", "Escalation"):
            assert f"## {section}" in runbook, (name, section)


def test_the_budget_alert_sums_cost_per_user_over_a_day() -> None:
    (alert,) = [a for a in alerts() if a["alert"] == "UserOverDailyBudget"]
    expr = " ".join(alert["expr"].split())
    assert "unwrap genai_lab_cost_usd" in expr
    assert "[24h]" in expr and "sum_over_time(" in expr
    (by,) = re.findall(r"^sum by \(([^)]*)\)", expr)
    assert {"tenant_id", "user_id"} <= {n.strip() for n in by.split(",")}
    assert re.search(r"\)\s*>\s*[0-9.]+$", expr)
    # Only the grouping fields survive to unwrap: one series per user, not one per record.
    (keep,) = re.findall(r"\| keep ([^|]*)\|", expr)
    assert {n.strip() for n in keep.split(",")} == {n.strip() for n in by.split(",")} | {
        "genai_lab_cost_usd"
    }


def test_call_record_queries_use_only_record_fields_and_valid_selectors() -> None:
    queries = call_record_queries()
    assert len(queries) >= 6
    for where, expr in queries:
        unknown = loki_names(expr) - RECORD_FIELDS - INDEX_LABELS - {CLASS_LABEL}
        assert not unknown, f"{where}: not in the call-record schema: {sorted(unknown)}"
        for selector in stream_selectors(expr):
            assert non_empty_compatible(selector), f"{where}: {selector} may match nothing"
            assert f'{CLASS_LABEL}="call"' in selector, where


def test_the_selector_check_can_fail() -> None:
    assert not non_empty_compatible('{service_name=~".*", deployment_environment_name=~".*"}')
    assert non_empty_compatible('{genai_lab_log_class="call", service_name=~".*"}')
    assert loki_names('sum by (a) (x{b="c"} | d=~"e" | unwrap f [1m]) by (g)') == {
        "a",
        "b",
        "d",
        "f",
        "g",
    }


# ------------------------------------------------------------------ retention


def duration_s(text: str) -> int:
    units = {"h": HOUR, "d": DAY, "w": 7 * DAY, "y": 365 * DAY}
    total = 0
    for value, unit in re.findall(r"(\d+)([hdwy])", text):
        total += int(value) * units[unit]
    assert total, text
    return total


@pytest.mark.parametrize("path", LOKI_CONFIGS, ids=["minio", "aws"])
def test_retention_tiers_follow_the_log_classes(path: Path) -> None:
    limits = yaml.safe_load(path.read_text())["limits_config"]
    # Warm: everything without a class, 30 days.
    assert duration_s(limits["retention_period"]) == 30 * DAY
    periods = {}
    for rule in limits["retention_stream"]:
        (value,) = re.findall(rf'^\{{{CLASS_LABEL}="([a-z]+)"\}}$', rule["selector"])
        periods[value] = (duration_s(rule["period"]), rule["priority"])
        # The compactor works in whole index periods (24 h).
        assert periods[value][0] % DAY == 0, rule
    assert set(periods) == {log_classes.AUDIT, log_classes.CALL, log_classes.DEBUG}
    assert periods[log_classes.AUDIT][0] == 7 * 365 * DAY  # archive: 7 years
    assert periods[log_classes.CALL][0] == 365 * DAY  # cold
    assert periods[log_classes.DEBUG][0] == 7 * DAY  # hot only
    # Longer-lived classes win where streams could match several rules.
    by_priority = sorted(periods.values(), key=lambda p: p[1])
    assert [p[0] for p in by_priority] == sorted(p[0] for p in by_priority)
    # The class is an index label, or the selectors would match nothing.
    attrs = limits["otlp_config"]["log_attributes"]
    assert {"action": "index_label", "attributes": [log_classes.ATTRIBUTE]} in attrs
    compactor = yaml.safe_load(path.read_text())["compactor"]
    assert compactor["retention_enabled"] is True


def test_the_object_store_keeps_data_at_least_as_long_as_loki() -> None:
    # The bucket's lifecycle expiry is a backstop behind Loki's compactor, never ahead of it:
    # an object deleted under Loki's index would break queries.
    lifecycle = json.loads((ROOT / "minio" / "lifecycle" / "loki-data.json").read_text())
    longest = max(
        duration_s(r["period"])
        for r in yaml.safe_load(LOKI_CONFIGS[0].read_text())["limits_config"]["retention_stream"]
    )
    for rule in lifecycle["Rules"]:
        days = rule.get("Expiration", {}).get("Days")
        if days is not None:
            assert days * DAY > longest, rule["ID"]
