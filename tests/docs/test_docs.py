"""The documentation refers only to things that exist.

Scans README.md and docs/**/*.md and checks, each with a negative case that proves it can fail:
- every `make <target>` names a target in the Makefile;
- every relative file path (a markdown link, or a backticked path under a top-level folder of
  the repository or naming a root file) exists;
- every 127.0.0.1 / localhost port is published by docker-compose.yml, or is one of the
  documented native ports below, or is an opt-in port (<name>/publish.yml) mentioned in a
  paragraph that says how to publish it (`PUBLISH=`);
- every Prometheus series name is in the metric catalogue, a recording rule, or dashgen's
  external allow-list (grafana/dashgen/catalogue.py, reused, not copied);
- every backticked CamelCase identifier is an alert in prometheus/rules (or a listed non-alert
  identifier such as a Python exception), and so is every alertname="..." in a query;
- every `genai-...` uid-like name is a dashboard uid (or a listed lab name such as the service),
  every **Title** dashboard / **Title** panel exists in grafana/dashboards;
- every runbook belongs to an alert and has the five sections (that every alert has a runbook,
  and that runbook PromQL parses, is checked in tests/config/test_rules.py);
- every ```promql block outside docs/runbooks parses in a real Prometheus (template variables
  substituted as dashgen does) and uses only allowed series; every ```logql block selects the
  service's streams by an index label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest
import yaml

from dashgen.catalogue import allowed_series, rules
from dashgen.names import DASHBOARD_DIR, ROOT
from dashgen.promql import substitute
from tests.support.promql import Parser, prometheus_parser, query_problems

Docs = Mapping[Path, str]

# Ports a doc may mention that compose does not publish, with the reason.
NATIVE_PORTS: dict[int, str] = {
    9464: "OTEL_METRICS_EXPORTER=prometheus natively (OTEL_EXPORTER_PROMETHEUS_PORT default, "
    "app/lab_telemetry/setup.py)",
}
# Generated or git-ignored paths a doc may name that are not in the repository.
GENERATED_PATHS = (".env", ".venv", ".tools", ".aiops")
# Root files a backticked name may refer to (checked to exist).
ROOT_FILE = re.compile(
    r"^(?:Makefile|README\.md|pyproject\.toml|uv\.lock|versions\.env|\.env\.example|"
    r"docker-compose(?:\.aws)?\.yml)$"
)
# Backticked CamelCase identifiers that are not alerts.
NOT_ALERTS = frozenset(
    {
        "ZeroDivisionError",
        "BadRequestError",
        "RateLimitError",
        "APIStatusError",
        "ThrottlingException",
        "ModelTimeoutException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ValidationException",
        "LoggingHandler",
        "AwsXRayIdGenerator",
        "AwsXRayPropagator",
        "BatchSpanProcessor",
        "PeriodicExportingMetricReader",
        "FastAPI",
        "TraceQL",
        "LogQL",
        "PromQL",
        "MinIO",
    }
)
# `genai-...` names that are not dashboard uids.
NOT_DASHBOARDS = frozenset(
    {"genai-service", "genai-lab", "genai-lab-app", "genai-lab-alerts", "genai-observability-lab"}
)
LOKI_INDEX_LABELS = (
    "service_name",
    "service_namespace",
    "deployment_environment_name",
    # The retention class, promoted from a log attribute (loki/loki.yaml otlp_config).
    "genai_lab_log_class",
)
CALL_RECORD_SCHEMA = ROOT / "docs" / "schemas" / "genai-call-record.schema.json"

SERIES_PREFIXES = (
    "genai_lab_",
    "gen_ai_client_",
    "http_server_",
    "http_client_",
    "otelcol_",
    "aiops_",
    "traces_spanmetrics_",
    "traces_service_graph_",
    "loki_distributor_",
    "tempo_distributor_",
    "prometheus_http_",
    "prometheus_tsdb_",
)
_SERIES = re.compile(r"(?<![\w:.$-])((?:" + "|".join(SERIES_PREFIXES) + r")[a-z0-9_]*)(?![\w.-])")
_RECORDING = re.compile(r"(?<![\w:/.-])([a-z_]+:[a-z0-9_]+:[a-z0-9_]+)(?![\w:<-])")
_FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.M | re.S)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_MAKE = re.compile(r"(?<![\w-])make\s+((?:[A-Z_]+=\S+\s+)*)([a-z][a-z0-9_-]*)")
_PORT = re.compile(r"(?:https?://)?(?:127\.0\.0\.1|localhost):(\d{2,5})\b")
# Capital first, a lower-case letter, two capitals or more: HighErrorRate, OTLPIngestionFailures
_CAMEL = re.compile(r"^(?=[A-Z])(?=.*[a-z])(?=.*[A-Z].*[A-Z])[A-Za-z0-9]+$")
_ALERTNAME = re.compile(r"alertname\s*=~?\s*\"?([A-Za-z0-9]+)")
_UID = re.compile(r"(?<![\w/.-])(genai-[a-z]+(?:-[a-z]+)*)(?![\w.:/-])")
# **Title** dashboard, **Title** panel/stat/table; and any bold **GenAI ...** is a dashboard title.
_BOLD_THING = re.compile(r"\*\*([^*\n]+)\*\*\s+(dashboard|panel|stat|table)\b")
_BOLD_GENAI = re.compile(r"\*\*(GenAI [^*\n]+)\*\*(?!\s+(?:panel|stat|table)\b)")


# ------------------------------------------------------------------ reading the docs


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def load_docs(paths: Iterable[Path] | None = None) -> dict[Path, str]:
    return {p: p.read_text() for p in (paths if paths is not None else doc_files())}


def fences(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def prose(text: str) -> str:
    return _FENCE.sub("", text)


def code_spans(text: str) -> list[str]:
    return _CODE_SPAN.findall(prose(text))


def code_text(text: str) -> str:
    """Everything written as code: backticked spans and fenced blocks."""
    return "\n".join(code_spans(text) + [body for _, body in fences(text)])


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ what the project has


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-zA-Z][\w-]*):(?!=)", text, re.M))


def _compose_ports(path: Path) -> set[int]:
    compose = yaml.safe_load(path.read_text())
    ports: set[int] = set()
    for service in compose["services"].values():
        for spec in service.get("ports", []):
            m = re.search(r":-?(\d+)\}?:\d+$", str(spec))
            if m:
                ports.add(int(m.group(1)))
    return ports


def published_ports() -> set[int]:
    """Host ports the lab publishes by default."""
    return _compose_ports(ROOT / "docker-compose.yml")


def opt_in_ports() -> set[int]:
    """Host ports published only with `make up PUBLISH=<name>` (<name>/publish.yml)."""
    return {port for path in ROOT.glob("*/publish.yml") for port in _compose_ports(path)}


def alert_names() -> set[str]:
    """Prometheus's alerts and the Loki ruler's (loki/rules/<tenant>/*.yaml)."""
    names = {r["alert"] for r in rules() if "alert" in r}
    for path in sorted((ROOT / "loki" / "rules").glob("*/*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {r["alert"] for r in group["rules"] if "alert" in r}
    return names


def dashboards() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(DASHBOARD_DIR.glob("*.json"))]


def panel_titles() -> set[str]:
    titles: set[str] = set()

    def walk(panels: list[dict]) -> None:
        for p in panels:
            if p.get("title"):
                titles.add(p["title"])
            walk(p.get("panels") or [])

    for d in dashboards():
        walk(d["panels"])
    return titles


def loki_record_fields() -> set[str]:
    """The call record's fields as Loki names them (dots as underscores), and its class label:
    `genai_lab_...` names in LogQL that are not Prometheus series."""
    fields = json.loads(CALL_RECORD_SCHEMA.read_text())["properties"]
    return {name.replace(".", "_") for name in fields} | {"genai_lab_log_class"}


def series_allowed() -> set[str]:
    from dashgen.catalogue import catalogue_series

    bases = {n.rsplit("_", 1)[0] for n in catalogue_series() if n.endswith("_bucket")}
    return allowed_series() | bases


# ------------------------------------------------------------------ the checks


def make_problems(docs: Docs, targets: set[str]) -> list[str]:
    out = []
    for path, text in docs.items():
        for _, target in _MAKE.findall(code_text(text)):
            if target not in targets:
                out.append(f"{rel(path)}: `make {target}`: no such Makefile target")
    return out


def _exists(candidate: str) -> bool:
    clean = candidate.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if not clean:
        return True
    if clean.split("/", 1)[0] in GENERATED_PATHS:
        return True
    if "<" in clean or "{" in clean:  # a placeholder: check the part before it
        clean = clean.split("<", 1)[0].split("{", 1)[0].rsplit("/", 1)[0]
        return (ROOT / clean).exists()
    if "*" in clean:
        return any(ROOT.glob(clean))
    return (ROOT / clean).exists()


def path_problems(docs: Docs, top_level: set[str]) -> list[str]:
    out = []
    for path, text in docs.items():
        for link in _LINK.findall(prose(text)):
            if re.match(r"^(?:[a-z]+:|#|/)", link):
                continue
            target = (path.parent / link.split("#", 1)[0]).resolve()
            if not target.exists():
                out.append(f"{rel(path)}: link to {link}: no such file")
        for span in code_spans(text):
            token = span.strip()
            if " " in token or token.startswith(("/", "http")):
                continue
            first = token.split("/", 1)[0]
            is_path = ("/" in token and first in top_level) or ROOT_FILE.match(token)
            if is_path and not _exists(token):
                out.append(f"{rel(path)}: `{token}`: no such file or folder")
    return out


def port_problems(docs: Docs, ports: set[int], opt_in: set[int] = frozenset()) -> list[str]:
    out = []
    for path, text in docs.items():
        for m in _PORT.finditer(text):
            port = int(m.group(1))
            if port in ports or port in NATIVE_PORTS:
                continue
            if port in opt_in:
                if "PUBLISH" in _paragraph(text, m.start()):
                    continue
                problem = f"port {port} is published only with `make up PUBLISH=...`: say so there"
            else:
                problem = f"port {port} is not published by docker-compose.yml"
            out.append(f"{rel(path)}: {problem}")
    return sorted(set(out))


def _paragraph(text: str, at: int) -> str:
    """The text between the blank lines around position `at`."""
    start = text.rfind("\n\n", 0, at)
    end = text.find("\n\n", at)
    return text[start + 1 if start >= 0 else 0 : end if end >= 0 else len(text)]


def series_problems(docs: Docs, allowed: set[str], recorded: set[str]) -> list[str]:
    out = []
    for path, text in docs.items():
        names = {n for n in _SERIES.findall(text) if not n.endswith("_")}
        names |= set(_RECORDING.findall(text))
        for name in sorted(names - allowed - recorded):
            out.append(f"{rel(path)}: series {name} is not in the catalogue, rules or allow-list")
    return out


def alert_problems(docs: Docs, alerts: set[str]) -> list[str]:
    out = []
    for path, text in docs.items():
        names = {s.strip() for s in code_spans(text) if _CAMEL.match(s.strip())} - NOT_ALERTS
        names |= set(_ALERTNAME.findall(text))
        for name in sorted(names - alerts):
            out.append(f"{rel(path)}: `{name}` is not an alert in prometheus/rules")
    return out


def dashboard_problems(docs: Docs, uids: set[str], titles: set[str], panels: set[str]) -> list[str]:
    out = []
    for path, text in docs.items():
        for uid in sorted(set(_UID.findall(text)) - uids - NOT_DASHBOARDS):
            out.append(f"{rel(path)}: {uid} is not a dashboard uid")
        named = set(_BOLD_THING.findall(text)) | {
            (t, "dashboard") for t in _BOLD_GENAI.findall(text)
        }
        for title, kind in sorted(named):
            known = titles if kind == "dashboard" else panels
            if title not in known:
                out.append(f"{rel(path)}: no {kind} titled {title!r}")
    return out


RUNBOOK_SECTIONS = ("What it means", "Confirm", "Likely causes", "Remediation", "Escalation")


def runbook_problems(runbooks: Docs, alerts: set[str]) -> list[str]:
    out = []
    for path, text in runbooks.items():
        if path.stem not in alerts:
            out.append(f"{rel(path)}: no alert named {path.stem}")
        headings = re.findall(r"^## (.+?)\s*$", text, re.M)
        missing = [s for s in RUNBOOK_SECTIONS if s not in headings]
        if missing:
            out.append(f"{rel(path)}: missing sections {missing}")
    return out


def logql_problems(docs: Docs) -> list[str]:
    out = []
    for path, text in docs.items():
        for lang, body in fences(text):
            if lang != "logql":
                continue
            for query in _queries(body):
                selector = re.search(r"\{([^}]*)\}", query)
                if not selector or not any(
                    re.search(rf"\b{label}\s*=~?\s*\"", selector.group(1))
                    for label in LOKI_INDEX_LABELS
                ):
                    out.append(f"{rel(path)}: LogQL without an index-label selector: {query!r}")
    return out


def _queries(block: str) -> list[str]:
    """One query per paragraph of a fenced block (blank lines separate queries); # comments out."""
    lines = [ln for ln in block.splitlines() if not ln.lstrip().startswith("#")]
    return [q.strip() for q in "\n".join(lines).split("\n\n") if q.strip()]


def promql_blocks(docs: Docs) -> list[tuple[str, str]]:
    out = []
    for path, text in docs.items():
        if "runbooks" in path.parts:  # tests/config/test_rules.py parses those
            continue
        for lang, body in fences(text):
            if lang == "promql":
                out.extend((rel(path), q) for q in _queries(body))
    return out


def promql_problems(parser: Parser, queries: list[tuple[str, str]], allowed: set[str]) -> list[str]:
    out, substituted = [], []
    for where, query in queries:
        try:
            substituted.append((where, substitute(query)))
        except ValueError as exc:
            out.append(f"{where}: {exc}")
    return out + query_problems(parser, substituted, allowed)


# ------------------------------------------------------------------ tests on the real docs


def top_level() -> set[str]:
    return {p.name for p in ROOT.iterdir() if not p.name.startswith(".git")}


@pytest.mark.unit
def test_the_docs_exist() -> None:
    for name in (
        "architecture.md",
        "workshop/README.md",
        "workshop/module-1-foundations.md",
        "workshop/module-2-instrumentation.md",
        "workshop/module-3-pipelines.md",
        "workshop/module-4-analytics.md",
        "workshop/module-5-aiops-and-production.md",
    ):
        assert (ROOT / "docs" / name).is_file(), name
    assert list((ROOT / "docs" / "knowledge-base").glob("*.md"))


def _dashboard_problems(docs: Docs) -> list[str]:
    uids = {d["uid"] for d in dashboards()}
    titles = {d["title"] for d in dashboards()}
    return dashboard_problems(docs, uids, titles, panel_titles())


def _runbook_problems(_: Docs) -> list[str]:
    runbooks = load_docs(sorted((ROOT / "docs" / "runbooks").glob("*.md")))
    return runbook_problems(runbooks, alert_names())


# What the docs name must exist: make targets, paths, ports, series, alerts, dashboards;
# every runbook belongs to an alert and has every section; LogQL selects by an index label.
DOC_CHECKS: dict[str, Callable[[Docs], list[str]]] = {
    "make_targets": lambda docs: make_problems(docs, make_targets()),
    "file_paths": lambda docs: path_problems(docs, top_level()),
    "ports_published": lambda docs: port_problems(docs, published_ports(), opt_in_ports()),
    "series_names": lambda docs: series_problems(
        docs, series_allowed() | loki_record_fields(), set()
    ),
    "alert_names": lambda docs: alert_problems(docs, alert_names()),
    "dashboards": _dashboard_problems,
    "runbooks": _runbook_problems,
    "logql_index_labels": logql_problems,
}


@pytest.mark.unit
@pytest.mark.parametrize("check", DOC_CHECKS.values(), ids=DOC_CHECKS.keys())
def test_docs_hold_together(check: Callable[[Docs], list[str]]) -> None:
    problems = check(load_docs())
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory):
    with prometheus_parser(tmp_path_factory.mktemp("docs-prom-parser")) as p:
        yield p


@pytest.mark.config
def test_workshop_promql_parses_and_uses_allowed_series(parser: Parser) -> None:
    queries = promql_blocks(load_docs())
    workshop = [q for q in queries if q[0].startswith("docs/workshop/")]
    assert len(workshop) >= 10, "the workshop should have PromQL to run"
    problems = promql_problems(parser, queries, series_allowed())
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ each check can fail

BAD = ROOT / "docs" / "bad.md"


@pytest.mark.unit
def test_checks_fail_on_bad_docs() -> None:
    doc = {
        BAD: "\n".join(
            [
                "Run `make up` then `make upp` and `make chaos SCENARIO=x nope-target`.",
                "```bash\nmake AWS=1 frobnicate\n```",
                "See [the guide](workshop/nope.md) and `prometheus/rules/nope.yml`, `Makefile`.",
                "Open http://127.0.0.1:3000 and http://localhost:12345/x, 127.0.0.1:4317.",
                "\nPrometheus is at http://127.0.0.1:9090.\n",
                "With `make up PUBLISH=loki`, Loki answers on http://127.0.0.1:3100.\n",
                "Query `genai_lab_cost_usd_total` and `genai_lab_costs_total` and"
                " `service:genai_lab_cost_usd:rate5m` and `service:nope:rate5m`.",
                "Alert `HighErrorRate`, `HighErrorRates`, `ZeroDivisionError`, `OTLPFailures`;"
                ' ALERTS{alertname="CrashStorms"}.',
                "Dashboard `genai-finops`, `genai-finopz`; the **GenAI SLOs** dashboard,"
                " the **GenAI SLO** dashboard, the **Spend today (USD)** panel,"
                " the **Spend yesterday** panel. Open **GenAI Nope** and **GenAI finops**.",
                '```logql\n{service_name="genai-service"} | trace_id="abc"\n\n{job="x"}\n```',
            ]
        )
    }
    make = make_problems(doc, make_targets())
    assert [p.split("`")[1] for p in make] == ["make upp", "make frobnicate"], make
    paths = path_problems(doc, top_level())
    assert len(paths) == 2 and "nope.md" in paths[0] and "nope.yml" in paths[1], paths
    ports = port_problems(doc, published_ports(), opt_in_ports())
    assert ports == [
        "docs/bad.md: port 12345 is not published by docker-compose.yml",
        "docs/bad.md: port 9090 is published only with `make up PUBLISH=...`: say so there",
    ], ports
    series = series_problems(doc, series_allowed(), set())
    assert [p.split()[2] for p in series] == ["genai_lab_costs_total", "service:nope:rate5m"]
    alerts = alert_problems(doc, alert_names())
    assert len(alerts) == 3, alerts
    assert ["CrashStorms" in alerts[0], "HighErrorRates" in alerts[1]] == [True, True], alerts
    assert "OTLPFailures" in alerts[2], alerts
    dash = dashboard_problems(
        doc, {d["uid"] for d in dashboards()}, {d["title"] for d in dashboards()}, panel_titles()
    )
    assert len(dash) == 5 and "genai-finopz" in dash[0], dash
    assert ["'GenAI Nope'" in dash[1], "'GenAI SLO'" in dash[2], "'GenAI finops'" in dash[3]] == [
        True,
        True,
        True,
    ], dash
    assert "'Spend yesterday'" in dash[4], dash
    logql = logql_problems(doc)
    assert len(logql) == 1 and 'job="x"' in logql[0], logql


@pytest.mark.unit
def test_runbook_check_can_fail() -> None:
    runbooks = {
        ROOT / "docs" / "runbooks" / "NoSuchAlert.md": "# NoSuchAlert\n## What it means\n",
        ROOT / "docs" / "runbooks" / "CrashStorm.md": "# CrashStorm\n"
        + "".join(f"## {s}\n" for s in RUNBOOK_SECTIONS if s != "Remediation")
        + "## Act\n",
    }
    problems = runbook_problems(runbooks, alert_names())
    assert any("no alert named NoSuchAlert" in p for p in problems), problems
    assert any("CrashStorm.md: missing sections ['Remediation']" in p for p in problems), problems


@pytest.mark.config
def test_promql_check_can_fail(parser: Parser) -> None:
    queries = [
        ("ok", 'sum(rate(genai_lab_cost_usd_total{tenant_id=~"$tenant"}[$__rate_interval]))'),
        ("syntax", "sum(rate(genai_lab_cost_usd_total[5m)"),
        ("unknown", "rate(genai_lab_not_a_metric_total[5m])"),
        ("variable", "rate(genai_lab_cost_usd_total{x=~'$nope'}[5m])"),
    ]
    problems = promql_problems(parser, queries, series_allowed())
    assert sorted(p.split(":")[0] for p in problems) == ["syntax", "unknown", "variable"], problems
