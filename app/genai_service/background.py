"""Background activity, so dashboards and log views are alive with no traffic.

- A log generator: realistic INFO / WARNING / ERROR events from pretend housekeeping jobs,
  each inside a span, so the log lines carry trace ids and link to traces in Tempo.
- The simulated users gauge (genai_lab.simulated_users.active): a slow random walk.

Both run as asyncio tasks started from the app's lifespan and are cancelled on shutdown.
Variables (all optional):
    LOG_GENERATOR_ENABLED=true        off switch (tests set false)
    LOG_GENERATOR_RATE_PER_S=1        events per second
    LOG_GENERATOR_WARNING_RATIO=0.15  share of WARNING events
    LOG_GENERATOR_ERROR_RATIO=0.05    share of ERROR events
    SIMULATED_USERS_ENABLED=true      off switch for the gauge
    SIMULATED_USERS_MAX=25            upper bound of the random walk
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from opentelemetry import trace

from genai_service.envvars import env_bool, env_float
from genai_service.errors import INJECTABLE_ERRORS
from lab_telemetry.instruments import instrument

log = structlog.get_logger("genai_service.background")
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class BackgroundConfig:
    log_generator: bool = True
    rate_per_s: float = 1.0
    warning_ratio: float = 0.15
    error_ratio: float = 0.05
    simulated_users: bool = True
    users_max: int = 25
    users_interval_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackgroundConfig:
        e = os.environ if env is None else env
        d = cls()  # the defaults, written once above
        return cls(
            log_generator=env_bool(e, "LOG_GENERATOR_ENABLED", d.log_generator),
            rate_per_s=max(0.0, env_float(e, "LOG_GENERATOR_RATE_PER_S", d.rate_per_s)),
            warning_ratio=_share(env_float(e, "LOG_GENERATOR_WARNING_RATIO", d.warning_ratio)),
            error_ratio=_share(env_float(e, "LOG_GENERATOR_ERROR_RATIO", d.error_ratio)),
            simulated_users=env_bool(e, "SIMULATED_USERS_ENABLED", d.simulated_users),
            users_max=max(1, int(env_float(e, "SIMULATED_USERS_MAX", d.users_max))),
        )


def _share(value: float) -> float:
    return min(1.0, max(0.0, value))


# (job, INFO event, WARNING event, ERROR event, fields): what a small service's housekeeping
# says about itself. No PII here on purpose; redaction is tested elsewhere.
_JOBS = (
    ("cache.sweep", "cache sweep finished", "cache sweep slow", "cache sweep failed"),
    ("pricing.refresh", "pricing table checked", "pricing table stale", "pricing refresh failed"),
    ("session.gc", "idle sessions closed", "session store near capacity", "session gc crashed"),
    ("quota.sync", "tenant quotas synced", "tenant close to daily quota", "quota sync rejected"),
    ("model.health", "model endpoint healthy", "model endpoint degraded", "model endpoint down"),
)


def emit_one(rng: random.Random, config: BackgroundConfig) -> str:
    """Emit one generated event inside its own span; returns the level used."""
    job, info, warning, error = rng.choice(_JOBS)
    roll = rng.random()
    with tracer.start_as_current_span(f"background {job}") as span:
        span.set_attribute("genai_lab.background.job", job)
        fields = {"job": job, "duration_ms": round(rng.lognormvariate(3.0, 0.8), 1)}
        if roll < config.error_ratio:
            error_type = str(rng.choice(INJECTABLE_ERRORS))
            span.set_attribute("error.type", error_type)
            span.set_status(trace.Status(trace.StatusCode.ERROR, error_type))
            log.error(error, **fields, **{"error.type": error_type}, attempt=rng.randint(1, 3))
            return "error"
        if roll < config.error_ratio + config.warning_ratio:
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


async def _log_generator(config: BackgroundConfig, rng: random.Random) -> None:
    while True:
        # Exponential gaps: a Poisson stream at the configured rate, not a metronome.
        await asyncio.sleep(rng.expovariate(config.rate_per_s))
        emit_one(rng, config)


async def _users(config: BackgroundConfig, rng: random.Random) -> None:
    gauge = instrument("genai_lab.simulated_users.active")
    walk = SimulatedUsers(rng, config.users_max)
    while True:
        gauge.set(walk.step())
        await asyncio.sleep(config.users_interval_s)


class BackgroundActivity:
    def __init__(self, config: BackgroundConfig, seed: int | None = None) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._tasks:
            return
        if self.config.log_generator and self.config.rate_per_s > 0:
            self._tasks.append(asyncio.create_task(_log_generator(self.config, self._rng)))
        if self.config.simulated_users:
            self._tasks.append(asyncio.create_task(_users(self.config, self._rng)))

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
