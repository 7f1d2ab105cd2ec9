"""Dashboards as code: the committed JSON is what grafana/dashgen generates, every dashboard
follows the lab's conventions, and every PromQL query parses in a real Prometheus and uses only
catalogued series, recording rules or the documented external names."""

from __future__ import annotations

import json
import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from dashgen.build import outputs
from dashgen.catalogue import EXTERNAL_METRICS, allowed_series
from dashgen.dashboards import DASHBOARDS
from dashgen.names import ALL_VALUES, DASHBOARD_DIR, DASHBOARD_UIDS, VARIABLES
from dashgen.promql import all_dashboard_queries, rule_queries, selector_names, unknown_variables
from tests.support.logql import loki_refuses, matchers, stream_selectors
from tests.support.promql import Parser, prometheus_parser, query_problems

pytestmark = pytest.mark.config

DATASOURCE_UIDS = {"prometheus", "loki", "tempo", "-- Grafana --"}


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))}


def panels(dash: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in dash["panels"]:
        out.append(p)
        out.extend(p.get("panels") or [])
    return out


def test_committed_files_equal_what_the_generator_writes() -> None:
    stale = [str(path) for path, text in outputs().items() if path.read_text() != text]
    assert not stale, f"run `make dashboards`: {stale}"


def test_every_generated_dashboard_is_committed_and_nothing_else() -> None:
    assert set(dashboards()) == set(DASHBOARDS)


def test_fixed_unique_uids() -> None:
    uids = [d["uid"] for d in dashboards().values()]
    assert sorted(uids) == sorted(DASHBOARD_UIDS)


def test_one_shared_variable_set() -> None:
    for name, d in dashboards().items():
        variables = d["templating"]["list"]
        assert [v["name"] for v in variables] == list(VARIABLES), name
        for v in variables:
            assert v["datasource"] == {"type": "prometheus", "uid": "prometheus"}, name
            assert v["includeAll"] and v["multi"], (name, v["name"])
            assert v["allValue"] == ALL_VALUES[v["name"]], (name, v["name"])


def test_datasources_are_referenced_by_uid() -> None:
    for name, d in dashboards().items():
        refs = [p.get("datasource") for p in panels(d) if p["type"] not in ("row", "text")]
        refs += [t.get("datasource") for p in panels(d) for t in p.get("targets") or []]
        refs += [a.get("datasource") for a in d["annotations"]["list"]]
        for ref in refs:
            assert isinstance(ref, dict), (name, ref)
            assert ref["uid"] in DATASOURCE_UIDS, (name, ref)


def test_panel_titles_unique_and_ids_stable() -> None:
    for name, d in dashboards().items():
        titled = [p["title"] for p in panels(d) if p["type"] != "row" and p["title"]]
        assert len(titled) == len(set(titled)), name
        ids = [p["id"] for p in panels(d)]
        assert ids == list(range(1, len(ids) + 1)), name


def test_latency_panels_show_exemplars() -> None:
    found = 0
    for name, d in dashboards().items():
        for p in panels(d):
            if p["type"] != "timeseries":
                continue
            for t in p.get("targets") or []:
                expr = t.get("expr", "")
                if "histogram_quantile" in expr and "_seconds_bucket" in expr:
                    found += 1
                    if "time_per_output_chunk" not in expr:
                        assert t.get("exemplar") is True, (name, p["title"])
    assert found >= 5


def test_logs_panels_use_loki_and_the_service_selector() -> None:
    logs = [(n, p) for n, d in dashboards().items() for p in panels(d) if p["type"] == "logs"]
    assert len(logs) >= 3
    for name, p in logs:
        assert p["datasource"]["uid"] == "loki", name
        assert 'service_name=~"$service"' in p["targets"][0]["expr"], name


# Loki's own cases for the rule (grafana/loki pkg/logql/syntax/parser_test.go,
# TestParseSampleExpr_equalityMatcher): the checker must agree with the parser.
LOKI_PARSER_CASES = {
    '{foo="bar"}': False,
    '{foo!="bar"}': True,
    '{app="baz", foo!="bar"}': False,
    '{app=~".+"}': False,
    '{app=~".*"}': True,
    '{app=~"bar|baz"}': False,
    '{app!~"bar|baz"}': True,
}


@pytest.mark.parametrize(("selector", "refused"), LOKI_PARSER_CASES.items())
def test_the_empty_matcher_check_agrees_with_lokis_parser(selector: str, refused: bool) -> None:
    assert loki_refuses(selector) is refused


def test_stream_selectors_are_found_outside_strings() -> None:
    query = 'sum(count_over_time({a="x", b=~"y|z"} |= "{not}" | line_format "{{.a}}" [5m]))'
    (selector,) = stream_selectors(query)
    assert [(m.name, m.op, m.value) for m in matchers(selector)] == [
        ("a", "=", "x"),
        ("b", "=~", "y|z"),
    ]


_GRAFANA_VAR = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
# A concrete selection of one and of two values, as Grafana writes them into a regex matcher.
_SELECTED = ("genai-service", "(genai-service|aiops)")


def _variable_values(var: dict[str, Any]) -> set[str]:
    """What Grafana may put in place of the variable: its default, its "All" value and a
    selection of one or more values."""
    values = set(_SELECTED)
    all_value = var.get("allValue") if var.get("includeAll") else None
    if all_value is not None:
        values.add(all_value)
    current = var.get("current", {}).get("value")
    for v in current if isinstance(current, list) else [current]:
        if v == "$__all":
            # Without a custom allValue Grafana would join every option; the lab always sets one.
            assert all_value is not None, var["name"]
            values.add(all_value)
        elif v is not None:
            values.add(str(v))
    return values


def _substitutions(dash: dict[str, Any]) -> list[dict[str, str]]:
    variables = {v["name"]: sorted(_variable_values(v)) for v in dash["templating"]["list"]}
    names = list(variables)
    return [dict(zip(names, combo, strict=True)) for combo in product(*variables.values())]


def _substitute(expr: str, values: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name.startswith("__"):
            return "1m"  # a Grafana macro ($__auto, $__range, ...): a duration, not in selectors
        return values[name]

    return _GRAFANA_VAR.sub(repl, expr)


def _loki_queries(dash: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for p in panels(dash):
        for t in p.get("targets") or []:
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
            if uid == "loki" and t.get("expr"):
                out.append((p["title"], t["expr"]))
    for a in dash.get("annotations", {}).get("list", []):
        if (a.get("datasource") or {}).get("uid") == "loki" and a.get("expr"):
            out.append((f"annotation {a['name']}", a["expr"]))
    return out


def test_no_loki_selector_is_empty_compatible_under_any_variable_value() -> None:
    # Under "All" every variable becomes its allValue; with ".*" the selector
    # {deployment_environment_name=~".*", service_name=~".*"} matches the empty string in every
    # matcher and Loki answers 400, so every Loki panel errored on a dashboard's first view.
    checked = 0
    for name, dash in dashboards().items():
        queries = _loki_queries(dash)
        for values in _substitutions(dash):
            for title, expr in queries:
                query = _substitute(expr, values)
                selectors = stream_selectors(query)
                assert selectors, (name, title, query)
                for selector in selectors:
                    assert not loki_refuses(selector), (name, title, values, selector)
                    checked += 1
    assert checked >= 8 * 16  # the 8 Loki panels, under every combination of values


def test_the_dashboards_the_issue_asks_for_exist() -> None:
    titles = {d["uid"]: d["title"] for d in dashboards().values()}
    for uid in (
        "genai-service-overview",
        "genai-models",
        "genai-finops",
        "genai-slos",
        "genai-logs-traces",
        "genai-pipeline",
    ):
        assert uid in titles
    types = {p["type"] for d in dashboards().values() for p in panels(d)}
    assert {"timeseries", "stat", "logs", "table", "nodeGraph", "bargauge"} <= types


def test_every_query_uses_only_known_template_variables() -> None:
    queries = all_dashboard_queries(DASHBOARD_DIR)
    assert len(queries) > 80
    for q in queries:
        assert not unknown_variables(q.expr), q.source


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory):
    with prometheus_parser(tmp_path_factory.mktemp("prom-parser")) as p:
        yield p


def test_every_promql_query_parses_and_uses_only_allowed_series(parser: Parser) -> None:
    queries = [(q.source, q.substituted()) for q in all_dashboard_queries(DASHBOARD_DIR)]
    problems = query_problems(parser, queries, allowed_series())
    assert not problems, "\n".join(problems)


def test_the_allow_list_holds_only_names_in_use(parser: Parser) -> None:
    used: set[str] = set()
    for q in [*all_dashboard_queries(DASHBOARD_DIR), *rule_queries()]:
        ast, _ = parser.parse(q.substituted())
        used |= selector_names(ast)[0]
    unused = sorted(set(EXTERNAL_METRICS) - used)
    assert not unused, f"allow-list entries nothing uses (remove them): {unused}"


def test_a_bad_dashboard_query_is_caught(parser: Parser, tmp_path: Path) -> None:
    from dashgen.promql import dashboard_queries

    expr = 'sum(rate(nope_total{service_name=~"$service"}[$__rate_interval]))'
    ds = {"type": "prometheus", "uid": "prometheus"}
    bad = {
        "panels": [{"title": "bad", "datasource": ds, "targets": [{"refId": "A", "expr": expr}]}]
    }
    (q,) = dashboard_queries(bad, "bad.json")
    ast, error = parser.parse(q.substituted())
    assert error is None
    assert selector_names(ast)[0] - allowed_series() == {"nope_total"}
