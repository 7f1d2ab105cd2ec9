"""A seeded random sequence of failure scenarios, so a workshop run can be repeated exactly.

Planning is pure: the same seed and settings always give the same steps, on any machine (only
`random.Random.randrange`/`choice`, whose output for an int seed is stable across Python
versions). Running a plan takes the side effects (apply a fault set, sleep) as arguments.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from genai_service.faults import Faults
from scenarios.faults import FAILURE_SCENARIOS, SCENARIOS


@dataclass(frozen=True)
class ScheduleSettings:
    total_s: int = 1800
    min_fault_s: int = 60
    max_fault_s: int = 180
    min_calm_s: int = 60
    max_calm_s: int = 120
    scenarios: tuple[str, ...] = FAILURE_SCENARIOS

    def __post_init__(self) -> None:
        if not 0 < self.min_fault_s <= self.max_fault_s:
            raise ValueError("need 0 < min_fault_s <= max_fault_s")
        if not 0 < self.min_calm_s <= self.max_calm_s:
            raise ValueError("need 0 < min_calm_s <= max_calm_s")
        if self.total_s <= 0:
            raise ValueError("total_s must be positive")
        unknown = [s for s in self.scenarios if s not in SCENARIOS or s == "recovery"]
        if unknown or not self.scenarios:
            raise ValueError(f"scenarios must be failure scenarios, got {unknown or 'none'}")


@dataclass(frozen=True)
class Step:
    start_s: int
    duration_s: int
    scenario: str

    @property
    def end_s(self) -> int:
        return self.start_s + self.duration_s


def plan(seed: int, settings: ScheduleSettings | None = None) -> tuple[Step, ...]:
    """Alternate calm (recovery) and a random failure until total_s is covered."""
    cfg = settings or ScheduleSettings()
    rng = random.Random(seed)
    steps: list[Step] = []
    t = 0
    previous: str | None = None
    while t < cfg.total_s:
        calm = rng.randrange(cfg.min_calm_s, cfg.max_calm_s + 1)
        if t + calm + cfg.min_fault_s > cfg.total_s:
            # No room left for a whole failure: stay calm until the end instead of a stub.
            steps.append(Step(t, cfg.total_s - t, "recovery"))
            break
        steps.append(Step(t, calm, "recovery"))
        t += calm
        # The same failure twice in a row reads as one long incident; pick another when possible.
        choices = [s for s in cfg.scenarios if s != previous] or list(cfg.scenarios)
        name = rng.choice(choices)
        length = rng.randrange(cfg.min_fault_s, cfg.max_fault_s + 1)
        steps.append(Step(t, min(length, cfg.total_s - t), name))
        t = min(t + length, cfg.total_s)
        previous = name
    # End healthy, so an unattended run never leaves the lab broken.
    if not steps or steps[-1].scenario != "recovery":
        steps.append(Step(t, 0, "recovery"))
    return tuple(steps)


def mmss(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def format_plan(seed: int, steps: Sequence[Step]) -> str:
    lines = [f"chaos schedule, seed {seed}: {len(steps)} steps", "  start   length  scenario"]
    for s in steps:
        lines.append(f"  {mmss(s.start_s)}   {s.duration_s:5d}s  {s.scenario}")
    return "\n".join(lines)


def run_plan(
    steps: Sequence[Step],
    apply: Callable[[Faults], object],
    sleep: Callable[[float], None],
    announce: Callable[[str], None] = print,
    time_scale: float = 1.0,
) -> None:
    """Apply each step's fault set, then wait its (scaled) length; always ends with recovery."""
    try:
        for s in steps:
            scenario = SCENARIOS[s.scenario]
            announce(f"[{mmss(s.start_s)}] {s.scenario}: {scenario.summary}")
            apply(scenario.faults)
            sleep(s.duration_s * time_scale)
    finally:
        apply(SCENARIOS["recovery"].faults)
