"""Native scraping (OTEL_METRICS_EXPORTER=prometheus) exposes exactly the catalogue's series names.

The native e2e and dashboards rely on the same names whether metrics come through the ADOT
collector's prometheusremotewrite or straight from the service's exporter; this scrapes the
real exporter of a real service process and compares with catalogue.yaml.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from lab_telemetry.instruments import catalogue
from tests.unit.lab_telemetry.test_runtime import RUNTIME_METRICS
from tools.processes import INSTANT_MODEL, free_port, prometheus_exporter_env, run_service

pytestmark = pytest.mark.contract

CHAT = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hello there"}]}
_TYPE = re.compile(r"^# TYPE (\S+) (\S+)$")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ")


def exposed(text: str) -> tuple[dict[str, str], set[str], list[str]]:
    """(family -> type, sample names, sample lines) from the text exposition format."""
    families = {}
    samples = set()
    lines = []
    for line in text.splitlines():
        if m := _TYPE.match(line):
            families[m.group(1)] = m.group(2)
        elif line and not line.startswith("#") and (m := _SAMPLE.match(line)):
            samples.add(m.group(1))
            lines.append(line)
    return families, samples, lines


def test_scraped_series_names_match_the_catalogue() -> None:
    port = free_port()
    env = {
        **prometheus_exporter_env(port),
        "DEPLOYMENT_ENVIRONMENT": "names-test",
        **INSTANT_MODEL,
        "SIM_ERROR_RATES": "throttled=0.3",
        "RATE_LIMITS_ENABLED": "false",
        "LOG_GENERATOR_ENABLED": "false",
        "SIMULATED_USERS_ENABLED": "true",
    }
    with run_service(env) as service, httpx.Client(base_url=service.base_url, timeout=10) as c:
        for i in range(30):
            c.post(
                "/v1/chat/completions",
                json={**CHAT, "messages": [{"role": "user", "content": f"q{i}"}]},
            )
        c.post("/v1/chat/completions", json=CHAT)  # the same prompt twice: a cache hit
        c.post("/v1/chat/completions", json=CHAT)
        for i in range(5):  # fresh prompts (no cache hit); some are throttled on purpose
            prompt = [{"role": "user", "content": f"stream {i}"}]
            c.post("/v1/chat/completions", json={**CHAT, "messages": prompt, "stream": True})
        c.post("/v1/embeddings", json={"model": "titan-embed-text-v2", "input": ["x"]})
        c.post("/v1/chat/completions", json={"model": "no-such-model", "messages": []})
        c.get("/crash")
        # The event-loop lag gauge reports once the loop has been asked to wake a sleeper
        # (every 0.25 s): on a loaded machine the traffic above can finish sooner.
        deadline = time.monotonic() + 10
        while True:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
            if "genai_lab_event_loop_lag_seconds" in text or time.monotonic() > deadline:
                break
            time.sleep(0.2)

    families, samples, lines = exposed(text)
    specs = {s.prometheus: s for s in catalogue().values()}

    # Every family the service exposes is catalogued (target_info is the resource).
    uncatalogued = sorted(
        f
        for f in families
        if f not in ("target", "target_info")
        and f.removesuffix("_total") not in specs
        and f not in specs
    )
    assert not uncatalogued, f"series not in catalogue.yaml: {uncatalogued}"

    # Each catalogued metric this traffic produces is exposed under its catalogued name, with
    # the suffixes its kind adds.
    produced = [
        "http.server.request.duration",
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
        "genai_lab.cost.usd",
        "genai_lab.prompts",
        "genai_lab.cache.requests",
        "genai_lab.provider.errors",
        "genai_lab.requests.rejected",
        "genai_lab.exceptions.unhandled",
        "genai_lab.simulated_users.active",
        "genai_lab.budget.daily_usd",
        # Runtime metrics (lab_telemetry.runtime).
        *RUNTIME_METRICS,
    ]
    for name in produced:
        spec = catalogue()[name]
        if spec.instrument == "histogram":
            expected = {f"{spec.prometheus}_{s}" for s in ("bucket", "sum", "count")}
        else:
            expected = {spec.prometheus}
        assert expected <= samples, f"{name}: expected {sorted(expected)} in the scrape"

    # Histogram buckets are the catalogue's.
    spec = catalogue()["http.server.request.duration"]
    les = {
        float(m.group(1))
        for line in lines
        if line.startswith(spec.prometheus + "_bucket{")
        and (m := re.search(r'le="([^"]+)"', line))
        and m.group(1) != "+Inf"
    }
    assert les == set(spec.buckets)

    # Resource labels are on the series, as the collector's resource_to_telemetry_conversion
    # puts them (job and instance come from the scrape itself).
    chat_lines = [
        ln for ln in lines if ln.startswith("gen_ai_client_operation_duration_seconds_count{")
    ]
    assert chat_lines
    assert 'service_name="genai-service"' in chat_lines[0]
    assert 'service_namespace="genai-lab"' in chat_lines[0]
    assert 'deployment_environment_name="names-test"' in chat_lines[0]
    assert any('http_route="/v1/chat/completions"' in ln for ln in lines)
