"""Background activity, so dashboards and log views are alive with no traffic.

- A log generator: realistic INFO / WARNING / ERROR events from pretend housekeeping jobs,
  each inside a span, so the log lines carry trace ids and link to traces in Tempo.
- The simulated users gauge (genai_lab.simulated_users.active): a slow random walk.

Both run as asyncio tasks started from the app's lifespan and are cancelled on shutdown.
Their variables (LOG_GENERATOR_*, SIMULATED_USERS_*) are the service's settings (settings.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import structlog
from opentelemetry import trace

from genai_service.errors import INJECTABLE_ERRORS
from genai_service.settings import Settings
from lab_telemetry.instruments import instrument

log = structlog.get_logger("genai_service.background")
tracer = trace.get_tracer(__name__)


# (job, INFO event, WARNING event, ERROR event, fields): what a small service's housekeeping
# says about itself. No PII here on purpose; redaction is tested elsewhere.
_JOBS = (
    ("cache.sweep", "cache sweep finished", "cache sweep slow", "cache sweep failed"),
    ("pricing.refresh", "pricing table checked", "pricing table stale", "pricing refresh failed"),
    ("session.gc", "idle sessions closed", "session store near capacity", "session gc crashed"),
    ("quota.sync", "tenant quotas synced", "tenant close to daily quota", "quota sync rejected"),
    ("model.health", "model endpoint healthy", "model endpoint degraded", "model endpoint down"),
)


def emit_one(rng: random.Random, settings: Settings) -> str:
    """Emit one generated event inside its own span; returns the level used."""
    job, info, warning, error = rng.choice(_JOBS)
    roll = rng.random()
    with tracer.start_as_current_span(f"background {job}") as span:
        span.set_attribute("genai_lab.background.job", job)
        fields = {"job": job, "duration_ms": round(rng.lognormvariate(3.0, 0.8), 1)}
        if roll < settings.log_generator_error_ratio:
            error_type = str(rng.choice(INJECTABLE_ERRORS))
            span.set_attribute("error.type", error_type)
            span.set_status(trace.Status(trace.StatusCode.ERROR, error_type))
            log.error(error, **fields, **{"error.type": error_type}, attempt=rng.randint(1, 3))
            return "error"
        if roll < settings.log_generator_error_ratio + settings.log_generator_warning_ratio:
            log.warning(warning, **fields, threshold_ms=rng.choice((50, 100, 250)))
            return "warning"
        log.info(info, **fields, items=rng.randint(0, 500))
        return "info"


class SimulatedUsers:
    """A bounded random walk: users arrive and leave a few at a time."""

    def __init__(self, rng: random.Random, maximum: int) -> None:
        self._rng = rng
        self._max = maximum
        self.value = maximum // 2

    def step(self) -> int:
        self.value = min(self._max, max(0, self.value + self._rng.randint(-3, 3)))
        return self.value


async def _log_generator(settings: Settings, rng: random.Random) -> None:
    while True:
        # Exponential gaps: a Poisson stream at the configured rate, not a metronome.
        await asyncio.sleep(rng.expovariate(settings.log_generator_rate_per_s))
        emit_one(rng, settings)


async def _users(settings: Settings, rng: random.Random) -> None:
    gauge = instrument("genai_lab.simulated_users.active")
    walk = SimulatedUsers(rng, settings.simulated_users_max)
    while True:
        gauge.set(walk.step())
        await asyncio.sleep(settings.simulated_users_interval_s)


class BackgroundActivity:
    def __init__(self, settings: Settings, seed: int | None = None) -> None:
        self.settings = settings
        self._rng = random.Random(seed)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._tasks:
            return
        if self.settings.log_generator_enabled and self.settings.log_generator_rate_per_s > 0:
            self._tasks.append(asyncio.create_task(_log_generator(self.settings, self._rng)))
        if self.settings.simulated_users_enabled:
            self._tasks.append(asyncio.create_task(_users(self.settings, self._rng)))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> int:
        return sum(not t.done() for t in self._tasks)
