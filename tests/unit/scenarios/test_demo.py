"""The demo runner keeps time, does each beat's actions, survives failures and ends healthy.

The clock is simulated so the ten minutes pass instantly; what the runner does to the lab is
recorded by a small in-memory lab that answers like Alertmanager and Grafana would.
"""

from __future__ import annotations

import pytest

from scenarios import demo
from scenarios.timeline import BASELINE_USERS, DEMO_LENGTH_S, OUTAGE_ALERT, Urls, build
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit

URLS = Urls("http://g:3000", "http://l:8089", "http://a:9093", "http://p:9090")


class RecordingLab:
    """Alerts fire `alert_after_s` after the outage; the annotation follows the alert."""

    def __init__(self, clock: FakeClock, alert_after_s: float | None, fail_load: bool = False):
        self.clock = clock
        self.alert_after_s = alert_after_s
        self.fail_load = fail_load
        self.calls: list[tuple[float, str, object]] = []
        self.outage_at: float | None = None

    def set_load(self, users: int, spawn_rate: float) -> None:
        self.calls.append((self.clock.now, "load", users))
        if self.fail_load:
            raise ConnectionError("locust is down")

    def inject(self, scenario: str) -> None:
        self.calls.append((self.clock.now, "inject", scenario))
        if scenario == "provider-outage":
            self.outage_at = self.clock.now
        elif scenario == "recovery":
            self.outage_at = None

    def _alert_firing(self) -> bool:
        return (
            self.alert_after_s is not None
            and self.outage_at is not None
            and self.clock.now >= self.outage_at + self.alert_after_s
        )

    def firing_alerts(self) -> list[str]:
        # Another alert fires from the start: the demo must wait for the outage's own alert.
        return ["CrashStorm", *([OUTAGE_ALERT] if self._alert_firing() else [])]

    def annotations_since(self, since_ms: int, alertname: str) -> list[str]:
        # Only the awaited alert's incident counts; CrashStorm's would be under its own tag.
        if alertname == OUTAGE_ALERT and self._alert_firing():
            return ["Incident: provider outage"]
        return []


def test_runs_beats_on_time_and_sees_alert_and_annotation() -> None:
    clock = FakeClock(0.0)
    lab = RecordingLab(clock, alert_after_s=100)
    out: list[str] = []
    problems = demo.run(
        build(URLS), lab, out=out.append, clock=clock, sleep=clock.sleep, wall_ms=lambda: 0
    )
    assert problems == []
    assert (180.0, "inject", "provider-outage") in lab.calls
    assert (90.0, "load", 60) in lab.calls
    assert (450.0, "inject", "recovery") in lab.calls
    # Alert polled from 240 s every 5 s: seen at 280 s (outage at 180 s + 100 s).
    assert f"    seen: alert {OUTAGE_ALERT}: {OUTAGE_ALERT}" in out
    assert any("seen: AI-ops annotation" in line for line in out)
    assert clock.now == pytest.approx(DEMO_LENGTH_S)
    # Ends healthy, at baseline load.
    assert lab.calls[-2][1:] == ("inject", "recovery")
    assert lab.calls[-1][1:] == ("load", BASELINE_USERS)


def test_missing_alert_is_reported_not_fatal_and_time_scale_shrinks_the_run() -> None:
    clock = FakeClock(0.0)
    lab = RecordingLab(clock, alert_after_s=None)
    out: list[str] = []
    problems = demo.run(
        build(URLS),
        lab,
        out=out.append,
        clock=clock,
        sleep=clock.sleep,
        wall_ms=lambda: 0,
        time_scale=0.01,
        poll_s=0.05,
    )
    assert f"alert {OUTAGE_ALERT} not seen in time" in problems
    assert "AI-ops annotation not seen in time" in problems
    assert clock.now == pytest.approx(DEMO_LENGTH_S * 0.01)
    assert (pytest.approx(1.8), "inject", "provider-outage") in lab.calls


def test_failed_actions_are_reported_and_the_demo_goes_on() -> None:
    clock = FakeClock(0.0)
    lab = RecordingLab(clock, alert_after_s=10, fail_load=True)
    out: list[str] = []
    problems = demo.run(
        build(URLS), lab, out=out.append, clock=clock, sleep=clock.sleep, wall_ms=lambda: 0
    )
    assert any("locust is down" in p for p in problems)
    assert (450.0, "inject", "recovery") in lab.calls


def test_interrupted_demo_still_clears_faults() -> None:
    clock = FakeClock(0.0)
    lab = RecordingLab(clock, alert_after_s=10)

    def sleep(s: float) -> None:
        clock.sleep(s)
        if clock.now >= 300:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo.run(build(URLS), lab, out=lambda _: None, clock=clock, sleep=sleep, wall_ms=lambda: 0)
    assert lab.calls[-2][1:] == ("inject", "recovery")
