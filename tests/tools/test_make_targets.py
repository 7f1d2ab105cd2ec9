"""The Makefile's front door: `make help` lists the targets, and Docker targets fail fast and
clearly where Docker cannot run, before touching anything.

A fake `docker` first on PATH plays each broken set-up, so these tests never start a real lab
on a laptop that has Docker.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

DOCKER_TARGETS = ["up", "down", "ps", "logs", "clean", "reset"]


def fake_docker(tmp_path: Path, *, compose_ok: bool, engine_ok: bool) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = compose ]; then exit {0 if compose_ok else 1}; fi\n'
        f'if [ "$1" = info ]; then exit {0 if engine_ok else 1}; fi\n'
        'echo "unexpected docker call: $*" >&2; exit 99\n'
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_documented_targets() -> None:
    out = make("help", dict(os.environ))
    assert out.returncode == 0, out.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout)
    listed = {line.split()[0] for line in plain.splitlines() if line.strip()}
    for target in ["up", "down", "ps", "logs", "test", "tools", "run", "clean"]:
        assert target in listed, f"`make help` does not list {target}"


@pytest.mark.parametrize("target", DOCKER_TARGETS)
def test_docker_targets_fail_fast_without_an_engine(target: str, tmp_path: Path) -> None:
    env = fake_docker(tmp_path, compose_ok=True, engine_ok=False)
    out = make(target, env)
    assert out.returncode != 0
    assert "no Docker engine answers" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert "unexpected docker call" not in out.stderr, "a Docker command ran past the check"


def test_up_without_compose_v2_says_what_to_install(tmp_path: Path) -> None:
    env = fake_docker(tmp_path, compose_ok=False, engine_ok=False)
    out = make("up", env)
    assert out.returncode != 0
    assert "Compose v2" in out.stderr
    assert "unexpected docker call" not in out.stderr
