"""`make test` never starts the compose stack: the stack tests are skipped before any fixture
runs unless STACK=1 (`make test-stack` sets it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import STACK_OPT_IN, stack_opted_in
from tools.processes import ROOT

pytestmark = pytest.mark.unit


def run_stack_selection(stack: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STACK"}
    if stack is not None:
        env["STACK"] = stack
    # Run, not just collect: the skip must come before the `lab` fixture would start anything.
    args = ["-m", "stack", "-rs", "-q", "-p", "no:cacheprovider", "tests/stack"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_stack_every_stack_test_is_skipped_as_opt_in() -> None:
    done = run_stack_selection(None)
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped, done.stdout
    assert all(STACK_OPT_IN in line for line in skipped), skipped
    assert "passed" not in done.stdout and "error" not in done.stdout.lower()


def test_stack_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("STACK", value)
        assert stack_opted_in() is expected


def test_make_test_stack_opts_in() -> None:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "-o", ".venv/.synced", "test-stack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "STACK=1" in done.stdout and "-m stack" in done.stdout
