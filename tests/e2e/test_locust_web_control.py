"""`make load`, `make spike` and an unattended demo, driving a real Locust through its web API.

Locust runs as in the compose stack: web UI up, --autostart, the steady shape, no -u. That must
start the gentle default by itself; then POST /swarm (what the make targets send) must move the
shape's level even though a shape is running, and the demo must leave the lab healthy.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from scenarios.timeline import BASELINE_USERS, OUTAGE_ALERT
from tests.support.locust_headless import LOCUST, LOCUSTFILE
from tools.processes import RunningProcess, free_port, run_cli, run_process, run_service

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = secrets.token_urlsafe(16)
DEFAULT_BASE_USERS = 10  # locust/lab_shapes.py


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    env = {"ADMIN_TOKEN": ADMIN_TOKEN, "RATE_LIMITS_ENABLED": "false", "SIM_LATENCY_MS": "20"}
    with run_service(env) as proc:
        yield proc


@pytest.fixture(scope="module")
def locust_ui(service: RunningProcess) -> Iterator[RunningProcess]:
    port = free_port()
    env = {"LOCUST_SHAPE": "steady", "LAB_THINK_MIN_S": "0.1", "LAB_THINK_MAX_S": "0.3"}
    cmd = [
        str(LOCUST),
        "-f",
        str(LOCUSTFILE),
        "--autostart",
        "--host",
        service.base_url,
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(port),
    ]
    with run_process("locust", cmd, port=port, ready_path="/stats/requests", env=env) as proc:
        yield proc


def stats(locust: RunningProcess) -> dict[str, object]:
    return dict(httpx.get(locust.base_url + "/stats/requests", timeout=5).json())


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "scenarios", *args]


def cli_env(locust: RunningProcess, service: RunningProcess) -> dict[str, str]:
    return {
        **os.environ,
        "LOCUST_URL": locust.base_url,
        "GENAI_SERVICE_URL": service.base_url,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "LAB_DOTENV": "/nonexistent",
        # Nothing answers on these: the demo must report the missing alert, not hang or crash.
        "ALERTMANAGER_URL": f"http://127.0.0.1:{free_port()}",
        "GRAFANA_URL": f"http://127.0.0.1:{free_port()}",
    }


def users(locust: RunningProcess) -> int:
    return int(stats(locust)["user_count"])  # type: ignore[call-overload]


def test_autostart_runs_the_gentle_default(locust_ui: RunningProcess) -> None:
    wait_until(lambda: users(locust_ui) == DEFAULT_BASE_USERS, 15, "the default 10 users")
    wait_until(lambda: int(stats(locust_ui)["total_rps"] or 0) > 0, 10, "requests flowing")  # type: ignore[call-overload]


def test_make_load_changes_the_running_shape(
    locust_ui: RunningProcess, service: RunningProcess
) -> None:
    env = cli_env(locust_ui, service)
    done = run_cli(cli("load", "--users", "4", "--spawn-rate", "10"), env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    wait_until(lambda: users(locust_ui) == 4, 10, "4 users after make load")


def test_make_spike_rises_then_returns(locust_ui: RunningProcess, service: RunningProcess) -> None:
    wait_until(lambda: users(locust_ui) == 4, 10, "the level set by make load")
    env = cli_env(locust_ui, service)
    spike = subprocess.Popen(
        cli("spike", "--users", "9", "--spawn-rate", "20", "--hold-s", "3"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: users(locust_ui) == 9, 10, "9 users during the spike")
        out, _ = spike.communicate(timeout=20)
    finally:
        if spike.poll() is None:
            spike.kill()
    assert spike.returncode == 0, out
    assert "back to 4" in out
    wait_until(lambda: users(locust_ui) == 4, 10, "back to 4 users after the spike")


def test_unattended_demo_injects_the_outage_and_leaves_the_lab_healthy(
    locust_ui: RunningProcess, service: RunningProcess
) -> None:
    env = cli_env(locust_ui, service)
    # Ten minutes at 0.01 is six seconds; every beat's action still happens, in order. No
    # Alertmanager, Grafana or aiops run here, so the preflight (which would stop the demo,
    # tests/unit/scenarios/test_preflight.py) is skipped to watch the runner carry on.
    done = run_cli(cli("demo", "--time-scale", "0.01", "--skip-preflight"), env=env, timeout=60)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.index("done: inject provider-outage") < out.rindex("done: inject recovery")
    # No Alertmanager or Grafana here: reported, and the demo carried on to the end.
    assert f"alert {OUTAGE_ALERT} not seen" in out and "AI-ops annotation not seen" in out
    # The outage reached the synthetic users: Locust saw the provider's 503s.
    errors = [e["error"] for e in stats(locust_ui)["errors"]]  # type: ignore[union-attr]
    assert any("HTTP 503 unavailable" in str(e) for e in errors), errors
    faults = httpx.get(
        service.base_url + "/admin/faults",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=5,
    ).json()
    assert faults["outage"] is False and faults["error_rate"] == 0
    wait_until(lambda: users(locust_ui) == BASELINE_USERS, 15, "baseline load after the demo")
