"""Runtime metrics: how full a lab process is (the saturation golden signal).

From inside the process, for every FastAPI app in the lab (genai-service and aiops):
- opentelemetry-instrumentation-system-metrics, limited to the process's own metrics: CPU time,
  resident and virtual memory, threads, open file descriptors, and CPython GC collections per
  generation (SYSTEM_METRICS below; the host-wide system.* metrics are left out: a container's
  view of the host says nothing about the service);
- genai_lab.event_loop.lag: how late the asyncio loop wakes a task that asked to sleep, the
  worst over the last LAG_WINDOW_S; every request's latency includes it;
- genai_lab.process.memory.limit: the container's memory limit (cgroup v2 memory.max, or v1
  memory.limit_in_bytes), so HighMemory can compare resident memory with it. No limit (a native
  run), no series.

Names, units and Prometheus series are in catalogue.yaml. instrument_runtime() is called once
per process by setup.start_telemetry; event_loop_lag() runs around each app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from lab_telemetry.instruments import catalogue

METER_NAME = "lab_telemetry.runtime"
# The process.* metrics of the instrumentation (its defaults also include system.* and the
# deprecated process.runtime.*); value lists are the attribute values it reports.
SYSTEM_METRICS: dict[str, list[str] | None] = {
    "process.cpu.time": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.thread.count": None,
    "process.open_file_descriptor.count": None,
    "cpython.gc.collections": None,
}
LAG_INTERVAL_S = 0.25  # how often the loop is asked to wake a sleeper
LAG_WINDOW_S = 60.0  # the gauge reports the worst lag seen over this window: one OTLP export
# Cgroup files, v2 first. v1 reports "no limit" as a huge number (page-rounded 2**63).
CGROUP_MEMORY_LIMIT_FILES = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)
_NO_LIMIT_ABOVE = 2**60


class LagWindow:
    """The worst event-loop lag over a sliding window; thread-safe (read by the export thread)."""

    def __init__(self, window_s: float = LAG_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self._window_s = window_s
        self._clock = clock
        self._samples: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()

    def record(self, lag_s: float) -> None:
        now = self._clock()
        with self._lock:
            self._samples.append((now, max(0.0, lag_s)))
            self._expire(now)

    def worst(self) -> float | None:
        """The largest lag recorded within the window; None when nothing was (no loop runs)."""
        with self._lock:
            self._expire(self._clock())
            return max((lag for _, lag in self._samples), default=None)

    def _expire(self, now: float) -> None:
        while self._samples and self._samples[0][0] < now - self._window_s:
            self._samples.popleft()


LAG = LagWindow()


async def measure_lag(window: LagWindow, interval_s: float = LAG_INTERVAL_S) -> None:
    """Forever: sleep interval_s and record how much later than asked the loop woke us."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(interval_s)
        window.record(loop.time() - asked - interval_s)


@contextlib.asynccontextmanager
async def event_loop_lag(*, enabled: bool = True, window: LagWindow = LAG) -> AsyncIterator[None]:
    """Measure the running loop's lag while the block runs (an app's lifespan)."""
    if not enabled:
        yield
        return
    task = asyncio.create_task(measure_lag(window), name="event-loop-lag")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def memory_limit_bytes(files: Iterable[Path] = CGROUP_MEMORY_LIMIT_FILES) -> int | None:
    """The cgroup's memory limit, or None when there is none or it cannot be read."""
    for path in files:
        try:
            raw = path.read_text().strip()
        except OSError:
            continue
        if raw == "max":
            return None
        try:
            value = int(raw)
        except ValueError:
            continue
        return value if 0 < value < _NO_LIMIT_ABOVE else None
    return None


def _observable_gauge(meter: Any, name: str, callback: Callable[[Any], Iterable[Any]]) -> Any:
    spec = catalogue()[name]
    return meter.create_observable_gauge(
        spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
    )


def instrument_runtime(meter_provider: Any, window: LagWindow = LAG) -> Callable[[], None]:
    """Register the runtime metrics with the meter provider; returns the undo."""
    from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
    from opentelemetry.metrics import Observation

    instrumentor = SystemMetricsInstrumentor(config=SYSTEM_METRICS)
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(meter_provider=meter_provider)

    def lag(_options: Any) -> Iterable[Any]:
        worst = window.worst()
        return [] if worst is None else [Observation(worst)]

    limit = memory_limit_bytes()

    def memory_limit(_options: Any) -> Iterable[Any]:
        return [] if limit is None else [Observation(limit)]

    meter = meter_provider.get_meter(METER_NAME)
    _observable_gauge(meter, "genai_lab.event_loop.lag", lag)
    _observable_gauge(meter, "genai_lab.process.memory.limit", memory_limit)
    return instrumentor.uninstrument
