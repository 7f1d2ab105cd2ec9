"""Parse PromQL with a real Prometheus (/api/v1/parse_query, Prometheus 3.x), no data needed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tools.processes import run_prometheus

EMPTY_CONFIG = "global:\n  scrape_interval: 1m\n"


class Parser:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def parse(self, expr: str) -> tuple[Any, str | None]:
        """(AST, None) when the expression parses, (None, error) when it does not."""
        r = self.client.post("/api/v1/parse_query", data={"query": expr})
        body = r.json()
        if body.get("status") == "success":
            return body["data"], None
        return None, str(body.get("error"))


@contextlib.contextmanager
def prometheus_parser(workdir: Path) -> Iterator[Parser]:
    with run_prometheus(EMPTY_CONFIG, workdir) as prom:
        parser = Parser(prom.base_url)
        try:
            yield parser
        finally:
            parser.client.close()


def query_problems(
    parser: Parser, queries: Iterable[tuple[str, str]], allowed: set[str]
) -> list[str]:
    """What is wrong with (where, PromQL) pairs whose template variables are substituted:
    a parse error, a selector without a metric name, or a series outside `allowed`."""
    from dashgen.promql import selector_names

    problems = []
    for where, expr in queries:
        ast, error = parser.parse(expr)
        if error:
            problems.append(f"{where}: {error}\n    {expr}")
            continue
        names, unnamed = selector_names(ast)
        if unnamed:
            problems.append(f"{where}: selector without a metric name")
        if names - allowed:
            problems.append(f"{where}: unknown series {sorted(names - allowed)}")
    return problems
