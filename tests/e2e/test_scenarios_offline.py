"""The offline commands as a presenter runs them: `make demo DRY_RUN=1`, `make chaos SEED=n
DRY_RUN=1`, in fresh processes, with no lab anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.scheduler import format_plan, plan
from scenarios.timeline import Urls, build, render
from tools.processes import run_cli

pytestmark = pytest.mark.e2e

# -o: never rebuild the venv from inside a test.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.synced"]


def test_sequence_is_identical_in_a_fresh_interpreter() -> None:
    # Reproducible across runs of the workshop, not just within one process.
    code = "from scenarios.scheduler import plan, format_plan; print(format_plan(11, plan(11)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == format_plan(11, plan(11))


def test_make_demo_dry_run_prints_the_timeline_without_a_lab(tmp_path: Path) -> None:
    # Points everything at a closed port: a dry run must not try to reach any of it.
    env = {
        "PATH": "/usr/bin:/bin",
        "LAB_DOTENV": str(tmp_path / "missing.env"),
        "GRAFANA_URL": "http://grafana.invalid:3000",
        "LOCUST_URL": "http://127.0.0.1:9",
    }
    proc = run_cli([sys.executable, "-m", "scenarios", "demo", "--dry-run"], env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    expected = render(build(Urls("http://grafana.invalid:3000", "http://127.0.0.1:9", "", "")))
    # Same beats and links as the timeline, in order (alertmanager/prometheus default there).
    for line in expected.splitlines():
        if line.startswith("[") or "grafana.invalid" in line:
            assert line in proc.stdout
    assert proc.stdout.index("Baseline") < proc.stdout.index("Provider outage")
    assert proc.stdout.index("Provider outage") < proc.stdout.index("Recovery")


def test_make_demo_dry_run_needs_no_docker_and_prints_the_same_timeline() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    env.pop("GRAFANA_URL", None)
    done = run_cli(
        [*MAKE, "demo", "DRY_RUN=1"], env={**env, "LAB_DOTENV": "/nonexistent"}, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "docker" not in done.stderr.lower()
    assert "[03:00] Provider outage" in done.stdout
    assert "[10:00] End." in done.stdout


def test_make_chaos_seed_dry_run_prints_the_seeded_plan() -> None:
    done = run_cli([*MAKE, "chaos", "SEED=42", "DRY_RUN=1"], timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == format_plan(42, plan(42))
