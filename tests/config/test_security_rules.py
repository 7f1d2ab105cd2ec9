"""prometheus/rules/security.yml: valid for promtool, its unit tests pass, every alert follows
the shared conventions, has a runbook, and uses only catalogued series."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dashgen.runbooks import runbook_url
from lab_telemetry.instruments import catalogue
from tests.conftest import real_tool
from tools.processes import run_cli

pytestmark = pytest.mark.config

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "prometheus" / "rules" / "security.yml"
RULE_TESTS = ROOT / "prometheus" / "tests" / "security_test.yml"
ALERTS = {
    "AuthFailureSpike",
    "PromptInjectionAttempts",
    "FrequentRateLimiting",
    "PIIDetectionSpike",
    "TenantOverBudget",
}


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def test_promtool_checks_the_rules() -> None:
    out = run_cli([str(real_tool("promtool")), "check", "rules", str(RULES)], timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_promtool_unit_tests_pass_and_cover_every_alert() -> None:
    out = run_cli(
        [str(real_tool("promtool")), "test", "rules", str(RULE_TESTS)],
        timeout=120,
        cwd=RULE_TESTS.parent,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == ALERTS


def test_alerts_follow_the_shared_label_and_annotation_conventions() -> None:
    alerts = [r for r in rules() if "alert" in r]
    assert {a["alert"] for a in alerts} == ALERTS
    for a in alerts:
        assert a["labels"]["severity"] in ("critical", "warning", "info"), a["alert"]
        assert a["labels"]["category"] == "security", a["alert"]
        ann = a["annotations"]
        assert set(ann) >= {"summary", "description", "runbook_url", "dashboard"}, a["alert"]
        assert ann["runbook_url"] == runbook_url(a["alert"])
        assert (ROOT / "docs" / "runbooks" / f"{a['alert']}.md").is_file(), a["alert"]
        assert ann["dashboard"] == "genai-security"


def test_rules_use_only_catalogued_series() -> None:
    known = set()
    for spec in catalogue().values():
        known.add(spec.prometheus)
        if spec.instrument == "histogram":
            known |= {spec.prometheus + s for s in ("_bucket", "_sum", "_count")}
    recorded = {r["record"] for r in rules() if "record" in r}
    for rule in rules():
        names = set(re.findall(r"\b(genai_lab_[a-z_]+|gen_ai_[a-z_]+)\b", rule["expr"]))
        names -= recorded
        assert names, rule
        assert names <= known, (rule.get("alert") or rule.get("record"), names - known)
