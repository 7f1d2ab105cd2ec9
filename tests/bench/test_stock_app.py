"""The benchmark's stock app emits exactly the issue's minimum per chat completion, and nothing
with OTEL_SDK_DISABLED: the reference the lab is measured against is neither short nor padded."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from bench.bench_telemetry_overhead import STOCK_APP
from bench.stock_app import COST_USD
from tools.otlp_receiver import Received, attributes, otlp_grpc_receiver
from tools.processes import free_port, run_process, uvicorn_command

CHAT = "/v1/chat/completions"
REQUESTS = 4
OPERATION_DURATION = "gen_ai.client.operation.duration"
BODY = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Hello there"}]}


def _serve_and_call(env: dict[str, str], received: Received) -> None:
    """Serve the stock app, send it REQUESTS chat completions, and wait (while it still runs)
    for the metric export that holds all of them."""
    port = free_port()
    with (
        run_process(
            "stock-app", uvicorn_command(port, STOCK_APP), port=port, ready_path="/readyz", env=env
        ) as proc,
        httpx.Client(base_url=proc.base_url, timeout=10) as client,
    ):
        for _ in range(REQUESTS):
            assert client.post(CHAT, json=BODY).status_code == 200
        if env.get("OTEL_SDK_DISABLED") != "true":
            assert received.wait_for(lambda: _records(received, OPERATION_DURATION) == REQUESTS)


def _records(received: Received, name: str) -> int:
    """How many values a histogram took; cumulative, so the last export holds them all."""
    exports = received.metrics().get(name)
    return sum(p.count for p in exports[-1].histogram.data_points) if exports else 0


@pytest.mark.contract
def test_each_chat_completion_sends_three_spans_five_metric_records_and_one_log() -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_SERVICE_NAME": "stock-app",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BLRP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "300",
        }
        _serve_and_call(env, received)

        chat_spans = [
            s for _, s in received.spans() if attributes(s.attributes).get("url.path", CHAT) == CHAT
        ]
        traces = Counter(s.trace_id for s in chat_spans)
        assert len(traces) == REQUESTS and set(traces.values()) == {3}
        assert {s.name for s in chat_spans} == {
            "POST /v1/chat/completions",
            "prompt.redact",
            "chat claude-haiku-4-5",
        }
        access_lines = [r for r in received.log_records() if CHAT in r.body.string_value]
        assert len(access_lines) == REQUESTS
        assert {r.trace_id for r in access_lines} <= set(traces)

        assert _records(received, OPERATION_DURATION) == REQUESTS
        assert _records(received, "gen_ai.client.token.usage") == 2 * REQUESTS
        (cost,) = received.metrics()["genai_lab.cost.usd"][-1].sum.data_points
        assert cost.as_double == pytest.approx(REQUESTS * COST_USD)
        duration = received.metrics()["http.server.request.duration"][-1].histogram
        chat_points = [
            p for p in duration.data_points if attributes(p.attributes).get("http.route") == CHAT
        ]
        assert sum(p.count for p in chat_points) == REQUESTS


@pytest.mark.contract
def test_the_off_arm_sends_nothing() -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SDK_DISABLED": "true"}
        _serve_and_call(env, received)
        time.sleep(0.5)
        assert received.all_bytes() == b""
