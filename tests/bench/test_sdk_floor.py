"""The telemetry benchmark's floor measures real exports, and its arithmetic is the stated one."""

from __future__ import annotations

import math

import pytest

from bench import sdk_floor
from bench.sdk_floor import Floor
from tools.otlp_receiver import otlp_grpc_receiver


@pytest.mark.contract
def test_the_floor_exports_every_span_and_log_it_times() -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        floor = sdk_floor.measure(endpoint, core=None)
        spans = received.spans()
        logs = received.log_records()
    # Warm-up plus three timed stretches, two spans per item (and the one parent of the metric
    # and log measurements): all exported, none dropped, so the timed cost includes encoding
    # and sending.
    items = sdk_floor.ITEMS // 4 + 3 * sdk_floor.ITEMS
    assert len(spans) == 2 * items + 1
    assert len(logs) == items
    assert {s.name for _, s in spans} == {
        "POST /v1/chat/completions",
        "chat claude-haiku-4-5",
        "request",
    }
    # Logs are measured inside a sampled span, as a request's are: they carry its trace id.
    assert all(len(record.trace_id) == 16 for record in logs)
    for value in (floor.span_us, floor.histogram_us, floor.counter_us, floor.log_us):
        assert 0 < value < 10_000 and math.isfinite(value)


@pytest.mark.unit
def test_floor_arithmetic() -> None:
    floor = Floor(span_us=50, histogram_us=8, counter_us=7, log_us=30)
    assert floor.per_request_us == 3 * 50 + 4 * 8 + 1 * 7 + 1 * 30
    assert floor.best_ratio(360) == pytest.approx(360 / (360 + 219))
    median = Floor.median([floor, Floor(10, 1, 1, 1), Floor(90, 9, 9, 90)])
    assert median == floor
