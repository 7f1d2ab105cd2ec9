"""The call records through a real Loki: config checks, ingestion, the dashboard's LogQL, and the
per-user budget rule firing into the lab's real Alertmanager.

Loki cannot be installed here (no container registry, no package), so these tests run only when
LOKI_BIN names a Loki 3.7 binary (or `loki` is on PATH) and skip with that reason otherwise.

    genai-service ──OTLP/HTTP logs──▶ Loki (the lab's loki.yaml: same limits, OTLP labels,
    (expensive calls as alice)          retention and ruler; local disk instead of MinIO)
                                          │ ruler: loki/rules/fake/*.yaml
                                          ▼
                                   Alertmanager (the lab's routes; receivers unreachable)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from genai_service.pseudonym import Pseudonymiser
from tests.conftest import ROOT
from tests.support.alerting import write_config
from tools.processes import INSTANT_MODEL, free_port, run_alertmanager, run_process, run_service

pytestmark = pytest.mark.e2e

LOKI_CONFIG = ROOT / "loki" / "loki.yaml"
LOKI_AWS_CONFIG = ROOT / "loki" / "loki.aws.yaml"
RULES_DIR = ROOT / "loki" / "rules"
HASH_KEY = "e2e-loki-user-id-hash-key-0123"
USER = "alice@example.com"
TENANT = "acme"
OPUS = "claude-opus-4-5"
# Opus output is USD 25 per million tokens: 8,000 tokens a call is USD 0.20, so 130 calls pass
# the rule's USD 25 per user and day.
CALLS = 130
DASHBOARD = ROOT / "grafana" / "dashboards" / "user-cost.json"


def loki_binary() -> Path:
    candidate = os.environ.get("LOKI_BIN") or shutil.which("loki")
    if not candidate or not os.access(candidate, os.X_OK):
        pytest.skip(
            "no Loki binary: Loki is not installable here (no registry, no package); "
            "set LOKI_BIN to a Loki 3.7 binary to run these tests"
        )
    return Path(candidate)


def verify(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(loki_binary()), f"-config.file={config}", "-config.expand-env=true", "-verify-config"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("config", [LOKI_CONFIG, LOKI_AWS_CONFIG], ids=["minio", "aws"])
def test_loki_verifies_the_lab_configs(config: Path) -> None:
    out = verify(
        config,
        {
            "MINIO_ROOT_USER": "lab-admin",
            "MINIO_ROOT_PASSWORD": "not-a-real-password",
            "LOKI_S3_BUCKET": "lab-bucket",
            "AWS_REGION": "us-east-1",
            "AMP_REMOTE_WRITE_URL": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0/api/v1/remote_write",
        },
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_verify_check_can_fail(tmp_path: Path) -> None:
    bad = yaml.safe_load(LOKI_CONFIG.read_text())
    bad["limits_config"]["retention_stream"][0]["selector"] = '{genai_lab_log_class=~"("}'
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert verify(path, {"MINIO_ROOT_USER": "u", "MINIO_ROOT_PASSWORD": "p"}).returncode != 0


def local_config(workdir: Path, http_port: int, grpc_port: int, alertmanager_url: str) -> Path:
    """The lab's loki.yaml with only what a native run must change: disk instead of MinIO,
    loopback ports, a private copy of the rules, the test's Alertmanager."""
    config = yaml.safe_load(LOKI_CONFIG.read_text())
    config["server"].update(
        {"http_listen_port": http_port, "grpc_listen_port": grpc_port, "log_level": "info"}
    )
    config["common"]["path_prefix"] = str(workdir)
    config["common"]["storage"] = {
        "filesystem": {
            "chunks_directory": str(workdir / "chunks"),
            "rules_directory": str(workdir / "rules-fs"),
        }
    }
    config["schema_config"]["configs"][0]["object_store"] = "filesystem"
    config["compactor"]["working_directory"] = str(workdir / "compactor")
    config["compactor"]["delete_request_store"] = "filesystem"
    config["ingester"]["wal"] = {"dir": str(workdir / "wal")}
    rules = workdir / "rules"
    shutil.copytree(RULES_DIR, rules)
    # Same rules, evaluated every 2 s instead of every minute, so the test is short.
    for path in rules.glob("*/*.yaml"):
        data = yaml.safe_load(path.read_text())
        for group in data["groups"]:
            group["interval"] = "2s"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    config["ruler"].update(
        {
            "storage": {"type": "local", "local": {"directory": str(rules)}},
            "rule_path": str(workdir / "rules-temp"),
            "alertmanager_url": alertmanager_url,
            "poll_interval": "1s",
        }
    )
    path = workdir / "loki.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    binary = loki_binary()
    workdir = tmp_path_factory.mktemp("loki-e2e")
    am_config = write_config(f"http://127.0.0.1:{free_port()}", workdir / "alertmanager")
    with run_alertmanager(am_config, workdir / "alertmanager") as am:
        http_port, grpc_port = free_port(), free_port()
        config = local_config(workdir / "loki", http_port, grpc_port, am.base_url)
        cmd = [str(binary), f"-config.file={config}", "-target=all"]
        with run_process(
            "loki", cmd, port=http_port, ready_path="/ready", cwd=workdir, ready_timeout_s=90
        ) as loki:
            env = {
                "OTEL_LOGS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": f"{loki.base_url}/otlp/v1/logs",
                "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/protobuf",
                "OTEL_BLRP_SCHEDULE_DELAY": "200",
                "DEPLOYMENT_ENVIRONMENT": "e2e",
                "USER_ID_HASH_KEY": HASH_KEY,
                **INSTANT_MODEL,
                "SIM_MIN_OUTPUT_TOKENS": "8000",
                "SIM_MAX_OUTPUT_TOKENS": "8000",
                "CACHE_ENABLED": "false",
                "RATE_LIMITS_ENABLED": "false",
                "LOG_GENERATOR_ENABLED": "false",
            }
            with run_service(env) as service:
                headers = {"X-User-ID": USER, "X-Tenant-ID": TENANT}
                body = {"model": OPUS, "messages": [{"role": "user", "content": "a long essay"}]}
                with httpx.Client(base_url=service.base_url, timeout=10, headers=headers) as c:
                    for _ in range(CALLS):
                        assert c.post("/v1/chat/completions", json=body).status_code == 200
                    bob = {**headers, "X-User-ID": "bob@example.com"}
                    assert c.post("/v1/chat/completions", json=body, headers=bob).status_code == 200
                yield {"loki": loki, "alertmanager": am, "service": service}


def loki_query(lab: dict[str, Any], expr: str, *, instant: bool) -> dict[str, Any]:
    base = lab["loki"].base_url
    now = time.time_ns()
    if instant:
        params = {"query": expr, "time": str(now)}
        r = httpx.get(f"{base}/loki/api/v1/query", params=params, timeout=30)
    else:
        params = {"query": expr, "start": str(now - 3600 * 10**9), "end": str(now), "limit": "500"}
        r = httpx.get(f"{base}/loki/api/v1/query_range", params=params, timeout=30)
    assert r.status_code == 200, (expr, r.text)
    return r.json()["data"]


def wait_for(check: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    result = check()
    while not result and time.monotonic() < deadline:
        time.sleep(1)
        result = check()
    return result


def test_records_arrive_as_their_own_stream_with_their_fields(lab: dict[str, Any]) -> None:
    def records() -> list[dict[str, Any]]:
        data = loki_query(lab, '{genai_lab_log_class="call"}', instant=False)
        return [
            {**stream["stream"], **(entry[2] if len(entry) > 2 else {})}
            for stream in data["result"]
            for entry in stream["values"]
        ]

    found = wait_for(lambda: len(records()) >= CALLS + 1 and records(), 30)
    assert len(found) == CALLS + 1, found[:2]
    alice = Pseudonymiser(HASH_KEY.encode()).user_id(USER)
    first = found[0]
    # Index labels: the resource's and the retention class.
    assert first["service_name"] == "genai-service"
    assert first["genai_lab_log_class"] == "call"
    assert {r["user_id"] for r in found} == {
        alice,
        Pseudonymiser(HASH_KEY.encode()).user_id("bob@example.com"),
    }
    assert all(r.get("trace_id") for r in found)
    assert float(first["genai_lab_cost_usd"]) > 0.19
    assert USER not in json.dumps(found)


def test_every_dashboard_logql_query_runs(lab: dict[str, Any]) -> None:
    values = {
        "$environment": ".*",
        "$service": ".*",
        "$tenant": ".*",
        "$model": ".*",
        "$__range": "1h",
        "$__auto": "1m",
    }
    dashboard = json.loads(DASHBOARD.read_text())
    ran = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets") or []:
            expr = target["expr"]
            for var, value in values.items():
                expr = expr.replace(var, value)
            assert not re.search(r"\$\w", expr), expr
            is_metric = expr.lstrip().startswith(("topk", "sum", "count"))
            data = loki_query(lab, expr, instant=is_metric)
            assert data["result"], (panel["title"], expr)
            ran += 1
    assert ran >= 6


def test_the_budget_rule_fires_into_alertmanager(lab: dict[str, Any]) -> None:
    alice = Pseudonymiser(HASH_KEY.encode()).user_id(USER)

    def firing_in_loki() -> list[dict[str, Any]]:
        r = httpx.get(f"{lab['loki'].base_url}/prometheus/api/v1/alerts", timeout=10)
        alerts = r.json()["data"]["alerts"] if r.status_code == 200 else []
        return [a for a in alerts if a["labels"].get("alertname") == "UserOverDailyBudget"]

    alerts = wait_for(lambda: [a for a in firing_in_loki() if a["state"] == "firing"], 90)
    assert alerts, lab["loki"].output()[-3000:]
    # Alice spent about USD 26; Bob one call, under the budget.
    assert {a["labels"]["user_id"] for a in alerts} == {alice}
    (alert,) = alerts
    assert alert["labels"]["tenant_id"] == TENANT
    assert alert["labels"]["severity"] == "warning" and alert["labels"]["category"] == "cost"

    def in_alertmanager() -> list[dict[str, Any]]:
        r = httpx.get(f"{lab['alertmanager'].base_url}/api/v2/alerts", timeout=10)
        return [a for a in r.json() if a["labels"].get("alertname") == "UserOverDailyBudget"]

    delivered = wait_for(in_alertmanager, 30)
    assert delivered, lab["loki"].output()[-3000:]
    assert delivered[0]["labels"]["user_id"] == alice
    # The lab's routes send cost alerts to the FinOps receiver.
    assert {r["name"] for r in delivered[0]["receivers"]} == {"aiops-finops"}
    assert delivered[0]["annotations"]["runbook_url"] == "docs/runbooks/UserOverDailyBudget.md"


def test_the_docs_logql_runs_on_successful_calls(lab: dict[str, Any]) -> None:
    # Every LogQL block in the workshop and in the call-record runbook parses and runs in Loki;
    # those over the call records return data from successful calls alone.
    alice = Pseudonymiser(HASH_KEY.encode()).user_id(USER)
    docs = [*sorted((ROOT / "docs" / "workshop").glob("module-*.md"))]
    docs.append(ROOT / "docs" / "runbooks" / "UserOverDailyBudget.md")
    checked = 0
    for path in docs:
        for block in re.findall(r"```logql\n(.*?)```", path.read_text(), re.S):
            for query in [q.strip() for q in block.split("\n\n") if q.strip()]:
                query = query.replace("u_0123456789abcdef", alice or "")
                is_metric = query.startswith(("sum", "topk", "count", "quantile", "rate"))
                data = loki_query(lab, query, instant=is_metric)
                if 'genai_lab_log_class="call"' in query and '"workshop' not in query:
                    assert data["result"], (path.name, query)
                checked += 1
    assert checked >= 10
