"""Alert and recording rules: valid for promtool, unit-tested by promtool, shaped by the shared
conventions, using only allowed series (checked with a real Prometheus's parser), each alert with
a runbook and a dashboard that exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from dashgen import slo
from dashgen.catalogue import allowed_series, rule_files, rules
from dashgen.names import DASHBOARD_DIR, ROOT, SLO_RULES_FILE
from dashgen.promql import rule_queries, selector_names
from dashgen.runbooks import runbook_url
from tests.conftest import real_tool
from tests.support.alerting import category_outcomes
from tests.support.promql import Parser, prometheus_parser, query_problems
from tools.processes import run_cli

pytestmark = pytest.mark.config

RULE_TESTS_DIR = ROOT / "prometheus" / "tests"
SEVERITIES = {"critical", "warning", "info"}
CATEGORIES = {"availability", "latency", "cost", "pipeline", "security"}


def alerts() -> list[dict]:
    return [r for r in rules() if "alert" in r]


def recordings() -> list[dict]:
    return [r for r in rules() if "record" in r]


def test_rule_files_exist_for_every_area() -> None:
    names = {p.name for p in rule_files()}
    assert {"genai.yml", "slo.yml", "pipeline.yml"} <= names


def test_promtool_check_rules_passes() -> None:
    out = run_cli(
        [str(real_tool("promtool")), "check", "rules", *map(str, rule_files())], timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    found = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", out.stdout))
    assert found == len(rules())


def test_promtool_unit_tests_pass() -> None:
    tests = sorted(p.name for p in RULE_TESTS_DIR.glob("*.yml"))
    out = run_cli(
        [str(real_tool("promtool")), "test", "rules", *tests], timeout=300, cwd=RULE_TESTS_DIR
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def _tested_alerts_and_exprs() -> tuple[set[str], str]:
    alertnames: set[str] = set()
    exprs: list[str] = []
    for path in RULE_TESTS_DIR.glob("*.yml"):
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            for t in case.get("alert_rule_test", []):
                # Only a test that expects the alert to fire proves the rule can fire.
                if t.get("exp_alerts"):
                    alertnames.add(t["alertname"])
            exprs += [t["expr"] for t in case.get("promql_expr_test", [])]
    return alertnames, "\n".join(exprs)


def test_every_alert_has_a_firing_unit_test() -> None:
    fired, _ = _tested_alerts_and_exprs()
    missing = sorted({a["alert"] for a in alerts()} - fired)
    assert not missing, f"alerts without a promtool test that expects them to fire: {missing}"


def test_every_recording_rule_is_checked_by_a_unit_test() -> None:
    _, exprs = _tested_alerts_and_exprs()
    used = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", exprs))
    missing = sorted({r["record"] for r in recordings()} - used)
    assert not missing, f"recording rules no promql_expr_test evaluates: {missing}"


def test_alerts_follow_the_shared_conventions() -> None:
    dashboards = {json.loads(p.read_text())["uid"] for p in DASHBOARD_DIR.glob("*.json")}
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)), "alert names must be unique"
    for a in alerts():
        name = a["alert"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), name
        assert a["labels"]["severity"] in SEVERITIES, name
        assert set(category_outcomes(a["labels"]["category"])) <= CATEGORIES, name
        ann = a["annotations"]
        assert {"summary", "description", "runbook_url", "dashboard"} <= set(ann), name
        assert ann["runbook_url"] == runbook_url(name), name
        assert ann["dashboard"] in dashboards, f"{name}: no dashboard with uid {ann['dashboard']}"


def test_every_alert_has_a_complete_runbook() -> None:
    for a in alerts():
        path = ROOT / "docs" / "runbooks" / f"{a['alert']}.md"
        assert path.is_file(), path
        text = path.read_text()
        assert text.startswith(f"# {a['alert']}\n"), path


@pytest.mark.parametrize("alert", ["CrashStorm", "HighErrorRate", "AvailabilityFastBurn"])
def test_own_runbooks_have_every_section(alert: str) -> None:
    text = (ROOT / "docs" / "runbooks" / f"{alert}.md").read_text()
    for section in ("What it means", "Confirm", "Likely causes", "Remediation", "Escalation"):
        assert f"## {section}" in text, (alert, section)


def test_generated_slo_rules_are_committed() -> None:
    assert SLO_RULES_FILE.read_text() == slo.render_rules(), "run `make dashboards`"


def test_slo_alerts_cover_three_slos_with_fast_and_slow_burns() -> None:
    names = {a["alert"] for a in alerts() if a["_file"] == "slo.yml"}
    assert names == {
        f"{s}{speed}Burn" for s in ("Availability", "Latency", "Cost") for speed in ("Fast", "Slow")
    }
    fast = next(a for a in alerts() if a["alert"] == "AvailabilityFastBurn")
    # Workbook table: 1h/5m at 14.4x and 6h/30m at 6x, both windows required.
    for fragment in ("rate1h", "rate5m", "> 14.4", "rate6h", "rate30m", "> 6"):
        assert fragment in fast["expr"], fragment
    assert fast["labels"]["severity"] == "critical"


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory):
    with prometheus_parser(tmp_path_factory.mktemp("prom-parser")) as p:
        yield p


def test_every_rule_expression_parses_and_uses_only_allowed_series(parser: Parser) -> None:
    queries = [(q.source, q.expr) for q in rule_queries()]
    problems = query_problems(parser, queries, allowed_series())
    assert not problems, "\n".join(problems)


def test_the_name_check_can_fail(parser: Parser) -> None:
    ast, error = parser.parse('sum(rate(not_in_the_catalogue_total{job="x"}[5m]))')
    assert error is None
    names, _ = selector_names(ast)
    assert names == {"not_in_the_catalogue_total"}
    assert not names <= allowed_series()
    _, error = parser.parse("sum(rate(x[5m)")
    assert error


def test_runbook_queries_parse_and_use_only_allowed_series(parser: Parser) -> None:
    allowed = allowed_series()
    problems = []
    for path in sorted((ROOT / "docs" / "runbooks").glob("*.md")):
        for block in re.findall(r"```promql\n(.*?)```", path.read_text(), re.S):
            expr = block.strip()
            ast, error = parser.parse(expr)
            if error:
                problems.append(f"{path.name}: {error}")
                continue
            unknown = selector_names(ast)[0] - allowed
            if unknown:
                problems.append(f"{path.name}: unknown series {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_rule_files_upload_to_amp_as_they_are() -> None:
    # AMP's rule groups namespace takes a standard Prometheus rule file: only `groups` at the top.
    for path in rule_files():
        data = yaml.safe_load(Path(path).read_text())
        assert set(data) == {"groups"}, path
