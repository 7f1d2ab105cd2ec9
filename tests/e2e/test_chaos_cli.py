"""`make chaos` / `make chaos-off` against the real service's admin API, and their failure modes."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from scenarios.faults import SCENARIOS
from tools.processes import RunningProcess, free_port, run_cli, run_service

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    with run_service({"ADMIN_TOKEN": ADMIN_TOKEN}) as proc:
        yield proc


def cli(*args: str, url: str, token: str = ADMIN_TOKEN) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GENAI_SERVICE_URL": url,
        "ADMIN_TOKEN": token,
        "LAB_DOTENV": "/nonexistent",
    }
    return run_cli([sys.executable, "-m", "scenarios", *args], env=env, timeout=30)


def faults_now(service: RunningProcess) -> dict[str, object]:
    r = httpx.get(
        service.base_url + "/admin/faults",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=5,
    )
    r.raise_for_status()
    return dict(r.json())


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n != "recovery"])
def test_each_scenario_reaches_the_service_and_chaos_off_clears_it(
    service: RunningProcess, name: str
) -> None:
    done = cli("chaos", name, url=service.base_url)
    assert done.returncode == 0, done.stderr
    assert faults_now(service) == SCENARIOS[name].faults.as_dict()
    assert "make chaos-off" in done.stdout
    off = cli("chaos-off", url=service.base_url)
    assert off.returncode == 0, off.stderr
    assert faults_now(service) == SCENARIOS["recovery"].faults.as_dict()


def test_make_chaos_target_drives_the_same_cli(service: RunningProcess) -> None:
    env = {**os.environ, "GENAI_SERVICE_URL": service.base_url, "ADMIN_TOKEN": ADMIN_TOKEN}
    # -o: never rebuild the venv from inside a test.
    make = ["make", "--no-print-directory", "-o", ".venv/.synced"]
    done = run_cli([*make, "chaos", "SCENARIO=token-inflation"], env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        faults_now(service)["token_inflation"]
        == SCENARIOS["token-inflation"].faults.token_inflation
    )
    off = run_cli([*make, "chaos-off"], env=env, timeout=60)
    assert off.returncode == 0, off.stdout + off.stderr
    assert faults_now(service)["token_inflation"] == 1.0


def test_wrong_token_is_reported_and_changes_nothing(service: RunningProcess) -> None:
    before = faults_now(service)
    done = cli("chaos", "provider-outage", url=service.base_url, token="not-the-token")
    assert done.returncode == 1
    assert "ADMIN_TOKEN" in done.stderr and "Traceback" not in done.stderr
    assert faults_now(service) == before


def test_no_service_gives_a_clear_message_not_a_traceback() -> None:
    done = cli("chaos", "provider-outage", url=f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "does not answer" in done.stderr and "make up" in done.stderr
    assert "Traceback" not in done.stderr
