"""Native end-to-end proof of the dashboards, rules and routes as code (issue 6).

With the real service under a Locust run and a /crash burst, a real Prometheus running the
project's rule files and a real Alertmanager with the project's routes:
- the project's recording rules for the service and its SLOs produce series;
- every PromQL query of every dashboard parses, and every query whose series exist returns data;
- the crash burst fires CrashStorm, and Alertmanager delivers it, by the page route, to the
  AI-ops service's webhook, which records an incident.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from dashgen.catalogue import rules
from dashgen.names import DASHBOARD_DIR
from dashgen.promql import all_dashboard_queries, selector_names
from dashgen.runbooks import runbook_url
from tests.e2e.conftest import ENVIRONMENT, SERVICE_JOB, Pipeline

pytestmark = pytest.mark.e2e

# The recording rules the native run must produce: the service's and the SLOs'. pipeline.yml
# needs the ADOT collector's own metrics and security.yml guardrail events, neither of which a
# native run has.
EXPECTED_RULE_FILES = ("genai.yml", "slo.yml")
# Series a Locust run plus a crash burst must create, or the checks below would prove nothing.
CORE_SERIES = {
    "http_server_request_duration_seconds_bucket",
    "gen_ai_client_token_usage_sum",
    "gen_ai_client_operation_duration_seconds_bucket",
    "genai_lab_cost_usd_total",
    "genai_lab_prompts_total",
    "genai_lab_cache_requests_total",
    "genai_lab_budget_daily_usd",
    "genai_lab_exceptions_unhandled_total",
    "up",
}
DEADLINE_S = 150  # from the end of the burst; the whole module stays under five minutes


def present_series(p: Pipeline) -> set[str]:
    r = httpx.get(f"{p.prometheus.base_url}/api/v1/label/__name__/values", timeout=10)
    return set(r.json()["data"])


def wait_until(check, timeout_s: float, interval_s: float = 1.0):  # type: ignore[no-untyped-def]
    """Poll until check() returns something truthy; its last result."""
    deadline = time.monotonic() + timeout_s
    last = check()
    while not last and time.monotonic() < deadline:
        time.sleep(interval_s)
        last = check()
    return last


def wait_none_left(check, timeout_s: float, interval_s: float = 1.0):  # type: ignore[no-untyped-def]
    """Poll until check() returns an empty collection; what was still left at the end."""
    deadline = time.monotonic() + timeout_s
    left = check()
    while left and time.monotonic() < deadline:
        time.sleep(interval_s)
        left = check()
    return left


def test_the_load_reached_the_service_and_prometheus(alerting_pipeline: Pipeline) -> None:
    p = alerting_pipeline
    total = p.locust.entry("Aggregated")
    assert total.requests >= 100, p.locust.output[-2000:]
    missing = wait_none_left(lambda: CORE_SERIES - present_series(p), 30)
    assert not missing, f"series the run should have created: {missing}"
    # Series are labelled as the collector labels them.
    by = "job, service_name, service_namespace, deployment_environment_name"
    sel = f'deployment_environment_name="{ENVIRONMENT}"'
    (sample,) = p.query(f"sum by ({by}) (genai_lab_prompts_total{{{sel}}})")
    assert sample["metric"] == {
        "job": SERVICE_JOB,
        "service_name": "genai-service",
        "service_namespace": "genai-lab",
        "deployment_environment_name": ENVIRONMENT,
    }


def test_crash_burst_fires_crash_storm_and_reaches_aiops(alerting_pipeline: Pipeline) -> None:
    p = alerting_pipeline

    def firing() -> list[dict]:
        return p.query('ALERTS{alertname="CrashStorm", alertstate="firing"}')

    alerts = wait_until(firing, DEADLINE_S)
    assert alerts, "CrashStorm never fired"
    labels = alerts[0]["metric"]
    assert (labels["severity"], labels["category"]) == ("critical", "availability")
    assert labels["service_name"] == "genai-service"
    fired_after = time.monotonic() - p.burst_at

    def incident() -> dict | None:
        r = httpx.get(f"{p.aiops.base_url}/incidents", timeout=5)
        return next((i for i in r.json() if i["alertname"] == "CrashStorm"), None)

    found = wait_until(incident, DEADLINE_S - fired_after)
    assert found, "Alertmanager did not deliver CrashStorm to the AI-ops webhook"
    delivered_after = time.monotonic() - p.burst_at
    # It took the page route of the project's config.
    assert found["receiver"] == "aiops-page"
    assert (found["severity"], found["category"]) == ("critical", "availability")
    am = httpx.get(f"{p.alertmanager.base_url}/api/v2/alerts", timeout=5).json()
    storm = [a for a in am if a["labels"]["alertname"] == "CrashStorm"]
    assert storm and [r["name"] for r in storm[0]["receivers"]] == ["aiops-page"]
    assert storm[0]["annotations"]["runbook_url"] == runbook_url("CrashStorm")
    timings = {
        **p.timings,
        "alert_firing_after_burst_s": round(fired_after, 1),
        "delivered_after_burst_s": round(delivered_after, 1),
        "pipeline_total_s": round(time.monotonic() - p.started_at, 1),
    }
    print("\n" + json.dumps({k: round(v, 1) for k, v in timings.items()}))
    assert delivered_after < 120


def test_recording_rules_produce_series(alerting_pipeline: Pipeline) -> None:
    p = alerting_pipeline
    expected = sorted(
        {r["record"] for r in rules() if "record" in r and r["_file"] in EXPECTED_RULE_FILES}
    )
    assert len(expected) >= 30

    def missing() -> list[str]:
        return [name for name in expected if not p.query(f'count({{__name__="{name}"}})')]

    # The 30-day group evaluates once a minute: allow for its first evaluation.
    left = wait_none_left(missing, 75, interval_s=2)
    assert not left, f"recording rules with no series: {left}"
    # Each SLO has its own series (a shared record name could hide a missing one), with the
    # service identity; the latency SLI needs the catalogue's le="1.5" bucket to exist.
    assert p.query('http_server_request_duration_seconds_bucket{le="1.5"}')
    for name in ("availability", "latency", "cost"):
        burn = p.query(f'slo:burn_rate:rate5m{{slo="{name}"}}')
        assert burn, f"no burn rate for the {name} SLO"
        assert burn[0]["metric"]["service_name"] == "genai-service"
        assert p.query(f'slo:error_budget_remaining:ratio{{slo="{name}"}}'), name


def test_every_dashboard_query_parses_and_returns_data_when_its_series_exist(
    alerting_pipeline: Pipeline,
) -> None:
    p = alerting_pipeline
    present = present_series(p)
    queries = all_dashboard_queries(DASHBOARD_DIR)
    assert len(queries) > 80
    parse_errors, expected = [], []
    for q in queries:
        ast, error = p.parse(q.substituted())
        if error:
            parse_errors.append(f"{q.source}: {error}")
            continue
        names = selector_names(ast)[0]
        if names and names <= present:
            expected.append(q)
    assert not parse_errors, "\n".join(parse_errors)
    assert len(expected) >= 50, f"only {len(expected)} queries had their series"

    # Over the whole run, as a panel shows it: "firing alerts" may have resolved by now.
    window = time.monotonic() - p.started_at + 5

    def empty() -> list[str]:
        return [
            f"{q.source}: {q.substituted()}"
            for q in expected
            if not p.query_range(q.substituted(), window)
        ]

    left = wait_none_left(empty, 60, interval_s=3)
    assert not left, "queries with no data although their series exist:\n" + "\n".join(left)
    print(f"\n{len(expected)} of {len(queries)} dashboard queries had series and returned data")
