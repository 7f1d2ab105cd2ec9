"""Runs the demo timeline against the lab: on time, unattended, and always ending healthy.

The runner only sequences; what it does to the lab comes in through DemoActions, and time
through clock/sleep, so tests can run a whole demo in milliseconds against real processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

from scenarios.faults import SCENARIOS
from scenarios.scheduler import mmss
from scenarios.timeline import (
    BASELINE_USERS,
    DEMO_LENGTH_S,
    Beat,
    Inject,
    SetLoad,
    WaitForAlert,
    WaitForAnnotation,
)


class DemoActions(Protocol):
    def set_load(self, users: int, spawn_rate: float) -> None: ...
    def inject(self, scenario: str) -> None: ...
    def firing_alerts(self) -> list[str]: ...
    def annotations_since(self, since_ms: int, alertname: str) -> list[str]: ...


def _firing(actions: DemoActions, alertname: str) -> list[str]:
    return [a for a in actions.firing_alerts() if a == alertname]


def run(
    beats: Sequence[Beat],
    actions: DemoActions,
    *,
    out: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    time_scale: float = 1.0,
    poll_s: float = 5.0,
    length_s: int = DEMO_LENGTH_S,
) -> list[str]:
    """Play the beats; returns the problems met (empty when everything happened as scripted)."""
    problems: list[str] = []
    start = clock()
    started_ms = wall_ms()

    def due(at_s: float) -> float:
        return start + at_s * time_scale

    def attempt(what: str, fn: Callable[[], object]) -> None:
        # One failed step must not stop an unattended demo; it is reported and the show goes on.
        try:
            fn()
            out(f"    done: {what}")
        except Exception as exc:
            problems.append(f"{what}: {exc}")
            out(f"    !! {what} failed: {exc}")

    def wait_for(what: str, poll: Callable[[], list[str]], deadline: float) -> None:
        while True:
            try:
                found = poll()
            except Exception as exc:
                found = []
                last_error = str(exc)
            else:
                last_error = ""
            if found:
                out(f"    seen: {what}: {'; '.join(found[:3])}")
                return
            if clock() >= deadline:
                reason = f" ({last_error})" if last_error else ""
                problems.append(f"{what} not seen in time{reason}")
                out(f"    !! {what} not seen yet{reason}; carrying on")
                return
            sleep(max(0.0, min(poll_s, deadline - clock())))

    try:
        for i, beat in enumerate(beats):
            sleep(max(0.0, due(beat.at_s) - clock()))
            out(f"[{mmss(beat.at_s * time_scale)}] {beat.title}")
            for link in beat.open:
                out(f"    open: {link.label}  {link.url}")
            out(f"    say:  {beat.say}")
            next_at = beats[i + 1].at_s if i + 1 < len(beats) else length_s
            for action in beat.actions:
                if isinstance(action, SetLoad):
                    attempt(
                        action.describe(),
                        partial(actions.set_load, action.users, action.spawn_rate),
                    )
                elif isinstance(action, Inject):
                    name = action.scenario
                    attempt(f"inject {name}", partial(actions.inject, name))
                    out(f"    expect: {SCENARIOS[name].expect}")
                elif isinstance(action, WaitForAlert):
                    name = action.alertname
                    wait_for(
                        f"alert {name}",
                        partial(_firing, actions, name),
                        due(next_at),
                    )
                elif isinstance(action, WaitForAnnotation):
                    name = action.alertname
                    wait_for(
                        "AI-ops annotation",
                        partial(actions.annotations_since, started_ms, name),
                        due(next_at),
                    )
        sleep(max(0.0, due(length_s) - clock()))
    finally:
        # Whatever happened (Ctrl+C included), leave the lab healthy at baseline load.
        attempt("clear all faults", lambda: actions.inject("recovery"))
        attempt(
            f"baseline load ({BASELINE_USERS} users)",
            lambda: actions.set_load(BASELINE_USERS, 2),
        )
    out(f"[{mmss(length_s * time_scale)}] End." + (" No problems." if not problems else ""))
    for p in problems:
        out(f"    problem: {p}")
    return problems
