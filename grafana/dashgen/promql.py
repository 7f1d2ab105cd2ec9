"""Find every PromQL expression in dashboards and rule files, and make it parseable.

Grafana's template variables and macros are substituted with values Prometheus accepts
(regex matchers get ".*", ranges a duration) before an expression is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashgen.catalogue import rules
from dashgen.names import PROMETHEUS_UID, VARIABLES

# Grafana macros -> a duration Prometheus parses (values from Grafana's defaults for a 1 h view).
MACROS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "__auto": "1m",
}
# A name starts with a letter or underscore: "$1" in label_replace is a capture group.
_VAR = re.compile(r"\$\{?([A-Za-z_]\w*)(?::\w+)?\}?")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?P<selector>.+),\s*(?P<label>\w+)\s*\)\s*$", re.S)


@dataclass(frozen=True)
class Query:
    source: str  # where it was found, for messages
    expr: str  # as written
    kind: str  # "panel", "variable", "annotation", "record", "alert"

    def substituted(self) -> str:
        return substitute(self.expr)


def unknown_variables(expr: str) -> set[str]:
    return {m.group(1) for m in _VAR.finditer(expr)} - set(VARIABLES) - set(MACROS)


def substitute(expr: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in MACROS:
            return MACROS[name]
        if name in VARIABLES:
            return ".*"
        raise ValueError(f"unknown template variable ${name} in {expr!r}")

    return _VAR.sub(repl, expr)


def _uid(ds: Any) -> str | None:
    if isinstance(ds, dict):
        return ds.get("uid")
    return None


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels") or [])


def dashboard_queries(dash: dict[str, Any], name: str) -> list[Query]:
    out: list[Query] = []
    for panel in _panels(dash.get("panels", [])):
        for target in panel.get("targets") or []:
            uid = _uid(target.get("datasource")) or _uid(panel.get("datasource"))
            if uid == PROMETHEUS_UID and target.get("expr"):
                src = f"{name}: panel {panel.get('title')!r} {target.get('refId')}"
                out.append(Query(src, target["expr"], "panel"))
    for var in dash.get("templating", {}).get("list", []):
        if _uid(var.get("datasource")) != PROMETHEUS_UID:
            continue
        query = var.get("query")
        text = query.get("query") if isinstance(query, dict) else query
        m = _LABEL_VALUES.match(text or "")
        if m:
            out.append(Query(f"{name}: variable {var['name']}", m.group("selector"), "variable"))
        elif text:
            out.append(Query(f"{name}: variable {var['name']}", text, "variable"))
    for ann in dash.get("annotations", {}).get("list", []):
        if _uid(ann.get("datasource")) == PROMETHEUS_UID and ann.get("expr"):
            out.append(Query(f"{name}: annotation {ann.get('name')!r}", ann["expr"], "annotation"))
    return out


def all_dashboard_queries(dashboard_dir: Path) -> list[Query]:
    out: list[Query] = []
    for path in sorted(dashboard_dir.glob("*.json")):
        out.extend(dashboard_queries(json.loads(path.read_text()), path.name))
    return out


def rule_queries() -> list[Query]:
    out = []
    for r in rules():
        kind = "alert" if "alert" in r else "record"
        out.append(
            Query(f"{r['_file']}: {kind} {r.get('alert') or r.get('record')}", r["expr"], kind)
        )
    return out


def selector_names(ast: Any) -> tuple[set[str], int]:
    """Metric names in a parsed expression (Prometheus /api/v1/parse_query JSON), and the number
    of selectors with no fixed name (a {__name__=~...} selector cannot be checked)."""
    names: set[str] = set()
    unnamed = 0

    def walk(node: Any) -> None:
        nonlocal unnamed
        if isinstance(node, dict):
            if node.get("type") in ("vectorSelector", "matrixSelector") and "matchers" in node:
                name = node.get("name") or next(
                    (
                        m["value"]
                        for m in node["matchers"]
                        if m.get("name") == "__name__" and m.get("type") == "="
                    ),
                    "",
                )
                if name:
                    names.add(name)
                else:
                    unnamed += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return names, unnamed
