"""Runtime metrics: event-loop lag, the cgroup memory limit, and the process metrics the
system-metrics instrumentation adds to the pipeline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lab_telemetry import runtime, setup
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

#: What the runtime instruments export wherever the service runs (the container memory limit
#: only inside a container with a limit).
RUNTIME_METRICS = (
    "process.cpu.time",
    "process.memory.usage",
    "process.memory.virtual",
    "process.thread.count",
    "process.open_file_descriptor.count",
    "cpython.gc.collections",
    "genai_lab.event_loop.lag",
)


def test_lag_window_reports_the_worst_lag_of_the_window_only() -> None:
    clock = FakeClock()
    window = runtime.LagWindow(window_s=60, clock=clock)
    assert window.worst() is None  # no loop measured: no observation
    window.record(0.5)
    clock.now += 10
    window.record(0.01)
    assert window.worst() == 0.5
    clock.now += 55  # the 0.5 s sample is now 65 s old
    assert window.worst() == 0.01
    window.record(-0.001)  # a loop waking early is no lag
    assert window.worst() == 0.01


async def test_a_blocked_loop_shows_as_lag() -> None:
    window = runtime.LagWindow()
    async with runtime.event_loop_lag(window=window):
        await asyncio.sleep(runtime.LAG_INTERVAL_S * 2)
        quiet = window.worst()
        time.sleep(0.4)  # noqa: ASYNC251 - blocking the loop is what this test measures
        await asyncio.sleep(runtime.LAG_INTERVAL_S * 2)
    assert quiet is not None and quiet < 0.1
    worst = window.worst()
    assert worst is not None and worst >= 0.15


async def test_lag_is_not_measured_when_telemetry_is_off() -> None:
    window = runtime.LagWindow()
    async with runtime.event_loop_lag(enabled=False, window=window):
        await asyncio.sleep(runtime.LAG_INTERVAL_S * 2)
    assert window.worst() is None


@pytest.mark.parametrize(
    ("v2", "v1", "expected"),
    [
        ("268435456\n", None, 268435456),  # mem_limit: 256m, cgroup v2
        ("max\n", None, None),  # v2, no limit
        (None, "201326592\n", 201326592),  # cgroup v1
        (None, "9223372036854771712\n", None),  # v1 says "no limit" with a huge number
        (None, None, None),  # not in a cgroup we can read (macOS, native)
        ("garbage", "201326592", 201326592),
    ],
)
def test_memory_limit_from_the_cgroup(
    tmp_path: Path, v2: str | None, v1: str | None, expected: int | None
) -> None:
    files = [tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes"]
    for path, content in zip(files, (v2, v1), strict=True):
        if content is not None:
            path.write_text(content)
    assert runtime.memory_limit_bytes(files) == expected


def test_the_pipeline_exports_process_and_loop_metrics(pipeline, monkeypatch) -> None:
    monkeypatch.setenv("LOG_GENERATOR_ENABLED", "false")
    monkeypatch.setenv("SIMULATED_USERS_ENABLED", "false")
    app = FastAPI(telemetry=setup.fastapi_telemetry(None))
    setup.configure(app, None)
    with TestClient(app):
        time.sleep(runtime.LAG_INTERVAL_S * 2)
        found = pipeline.metrics()
    for name in RUNTIME_METRICS:
        assert name in found, name
    (rss,) = found["process.memory.usage"].data.data_points
    assert rss.value > 10 * 2**20
    generations = {
        p.attributes["cpython.gc.generation"]
        for p in found["cpython.gc.collections"].data.data_points
    }
    assert generations == {0, 1, 2}
