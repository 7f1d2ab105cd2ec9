"""`make demo`'s preflight: with the lab down it stops within seconds and names each missing piece;
against a real service it tells a working secret from a wrong one, and a disabled admin API
from a wrong token."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios import preflight
from scenarios.lab_config import LabConfig
from tools.processes import ROOT, RunningProcess, free_port, run_service

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = secrets.token_urlsafe(16)
API_KEY = secrets.token_urlsafe(16)
# -o: never rebuild the venv from inside a test.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.synced"]


def nothing_running_env(tmp_path: Path) -> dict[str, str]:
    """Every URL the demo uses on its own closed loopback port."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    for var in (
        "GENAI_SERVICE_URL",
        "LOCUST_URL",
        "PROMETHEUS_URL",
        "ALERTMANAGER_URL",
        "GRAFANA_URL",
        "AIOPS_URL",
    ):
        env[var] = f"http://127.0.0.1:{free_port()}"
    env.update(ADMIN_TOKEN=ADMIN_TOKEN, LAB_API_KEY=API_KEY, LAB_DOTENV=str(tmp_path / "no.env"))
    return env


def test_demo_with_nothing_running_stops_in_seconds_naming_every_missing_piece(
    tmp_path: Path,
) -> None:
    # The bar: non-zero within 15 s (the subprocess timeout) rather than ten minutes of beats.
    done = subprocess.run(
        [*MAKE, "demo"],
        cwd=ROOT,
        env=nothing_running_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    assert done.returncode != 0
    err = done.stderr
    for name in ("genai-service", "Locust", "Prometheus", "Alertmanager", "Grafana", "aiops"):
        assert f"MISS  {name}" in err, err
    assert "fix: `make up`" in err and "make run" in err
    assert "the demo did not start" in err
    assert "Baseline" not in done.stdout  # no beat was played
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    env = {"ADMIN_TOKEN": ADMIN_TOKEN, "LAB_API_KEY": API_KEY, "REQUIRE_API_KEY": "true"}
    with run_service(env) as proc:
        yield proc


def config(service_url: str, *, admin_token: str, api_key: str) -> LabConfig:
    # Every backend but the service answers nothing: one closed port for all of them.
    backends = ("locust_url", "grafana_url", "prometheus_url", "alertmanager_url", "aiops_url")
    closed = dict.fromkeys(backends, f"http://127.0.0.1:{free_port()}")
    return LabConfig(
        service_url=service_url,
        admin_token=admin_token,
        grafana_user="admin",
        grafana_password="",
        api_key=api_key,
        **closed,
    )


def by_name(results: list[preflight.Result]) -> dict[str, preflight.Result]:
    return {r.check.name: r for r in results}


def test_a_running_service_with_the_right_secrets_passes_its_three_checks(
    service: RunningProcess,
) -> None:
    got = by_name(preflight.run(config(service.base_url, admin_token=ADMIN_TOKEN, api_key=API_KEY)))
    assert got["genai-service"].ok and got["API key"].ok and got["admin token"].ok
    assert not got["Locust"].ok and "does not answer" in str(got["Locust"].problem)


def test_wrong_secrets_are_named_as_such(service: RunningProcess) -> None:
    got = by_name(preflight.run(config(service.base_url, admin_token="nope", api_key="nope")))
    assert got["genai-service"].ok
    assert "LAB_API_KEY is not accepted" in str(got["API key"].problem)
    assert "refused the token" in str(got["admin token"].problem)
    assert "ADMIN_TOKEN" in got["admin token"].check.fix


def test_a_disabled_admin_api_is_reported_as_disabled_by_preflight_and_chaos(
    tmp_path: Path,
) -> None:
    with run_service({"LAB_API_KEY": API_KEY}) as svc:  # no ADMIN_TOKEN: admin API off
        got = by_name(preflight.run(config(svc.base_url, admin_token="x", api_key=API_KEY)))
        assert "admin API is disabled" in str(got["admin token"].problem)
        env = {
            **os.environ,
            "GENAI_SERVICE_URL": svc.base_url,
            "ADMIN_TOKEN": "anything",
            "LAB_DOTENV": str(tmp_path / "no.env"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "scenarios", "chaos", "provider-outage"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 1
    assert "admin API is disabled" in done.stderr, done.stderr
    assert "does not match" not in done.stderr


def test_make_chaos_without_a_scenario_lists_them_and_succeeds() -> None:
    done = subprocess.run(
        [*MAKE, "chaos"],
        cwd=ROOT,
        env={**os.environ, "LAB_DOTENV": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "provider-outage" in done.stdout and "usage: make chaos" in done.stdout
    assert "Error" not in done.stderr


def test_with_the_service_down_secrets_are_not_tried_and_a_missing_one_is_named() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    got = by_name(preflight.run(config(closed, admin_token="set", api_key="")))
    assert got["admin token"].problem == "not checked: genai-service does not answer"
    assert "fix:" not in got["admin token"].line()
    assert got["API key"].problem == "not set"
    assert "`make up` writes LAB_API_KEY" in got["API key"].line()
    assert all(r.line().count("\n") == 0 for r in got.values())
