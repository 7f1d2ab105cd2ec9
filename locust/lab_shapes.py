"""Load shapes for the lab, selected by LOCUST_SHAPE (steady | step | spike | wave): the math.

Pure and standard-library only, so it runs in the locustio/locust image and unit tests import
it without importing Locust (which monkey-patches the interpreter with gevent). locustfile.py
wraps it in the one LoadTestShape class Locust runs.

Every shape is a multiple of a base user count. The base comes from `-u`/LOCUST_USERS, and
afterwards from the web UI or `POST /swarm` (what `make load` calls): Locust copies a swarm
request's user_count into parsed_options even while a shape runs, and the shape re-reads it
every tick. Without an explicit count, the base is DEFAULT_BASE_USERS (gentle).

Environment (all optional):
  LOCUST_SHAPE           steady (default) | step | spike | wave
  LAB_SHAPE_TIME_SCALE   multiplies every duration below (tests use ~0.03 to run a cycle in s)
  LAB_SHAPE_RUN_S        stop the test after this many seconds (default: run forever)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_BASE_USERS = 10
SHAPES = ("steady", "step", "spike", "wave")

# Durations at time scale 1. A step lasts long enough for rate() windows (1-2 min) to settle; a
# spike is short and sharp; the wave compresses a day into 20 minutes so a workshop sees one.
STEP_S = 120.0
STEP_LEVELS = (1, 2, 3, 4)
SPIKE_CALM_S = 180.0
SPIKE_S = 60.0
SPIKE_FACTOR = 5
WAVE_PERIOD_S = 1200.0
WAVE_AMPLITUDE = 0.8


@dataclass(frozen=True)
class ShapeConfig:
    name: str = "steady"
    time_scale: float = 1.0
    run_s: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShapeConfig:
        name = env.get("LOCUST_SHAPE", "steady").strip().lower() or "steady"
        if name not in SHAPES:
            raise ValueError(f"LOCUST_SHAPE={name!r} is not one of {', '.join(SHAPES)}")
        scale = float(env.get("LAB_SHAPE_TIME_SCALE", "1") or 1)
        if scale <= 0:
            raise ValueError("LAB_SHAPE_TIME_SCALE must be positive")
        run = env.get("LAB_SHAPE_RUN_S", "").strip()
        return cls(name, scale, float(run) if run else None)


def users_at(name: str, t: float, base: int, time_scale: float = 1.0) -> int:
    """Users the shape wants t seconds after it started (pure, so it is unit-tested)."""
    base = max(1, base)
    if name == "steady":
        return base
    if name == "step":
        stage = int(t // (STEP_S * time_scale)) % len(STEP_LEVELS)
        return base * STEP_LEVELS[stage]
    if name == "spike":
        period = (SPIKE_CALM_S + SPIKE_S) * time_scale
        in_spike = (t % period) >= SPIKE_CALM_S * time_scale
        return base * SPIKE_FACTOR if in_spike else base
    if name == "wave":
        # Starts at night (the trough), peaks at midday (half a period).
        phase = 2 * math.pi * t / (WAVE_PERIOD_S * time_scale) - math.pi / 2
        return max(1, round(base * (1 + WAVE_AMPLITUDE * math.sin(phase))))
    raise ValueError(f"unknown shape {name!r}")


def spawn_rate_for(name: str, base: int, requested_rate: float | None, time_scale: float) -> float:
    """Fast enough to reach a stage well within it, even when durations are scaled down."""
    base = max(1, base)
    # A spike should arrive within ~2 s; other shapes change gently (about 5 s a step).
    own = base * SPIKE_FACTOR / 2 if name == "spike" else max(1.0, base / 5)
    own /= min(1.0, time_scale)
    return max(own, requested_rate or 0.0)


def users_given_explicitly(argv: Sequence[str], env: Mapping[str, str]) -> bool:
    if env.get("LOCUST_USERS", "").strip():
        return True
    return any(a in ("-u", "--users") or a.startswith(("--users=", "-u")) for a in argv[1:])


def base_level(given: int | None, first_seen: int | None, explicit: bool) -> int | None:
    """The base user count Locust's options ask for, or None to use DEFAULT_BASE_USERS.

    Locust fills in 1 when no count was given, so the count seen at the first tick only counts
    if it was given on purpose; any later change (web UI, POST /swarm) always counts.
    """
    if given and (explicit or given != first_seen):
        return int(given)
    return None
