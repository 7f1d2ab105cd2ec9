"""Shared test plumbing: markers, real tools, and the Docker guard for stack tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.processes import real_tool, tools_required

__all__ = ["ROOT", "real_tool", "tools_required"]

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("unit", "contract", "config", "e2e", "stack", "bench")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test states what it needs, so `-m` selections never miss one silently.
    unmarked = [i.nodeid for i in items if not any(i.get_closest_marker(c) for c in CATEGORIES)]
    if unmarked:
        raise pytest.UsageError(f"tests without a category marker {CATEGORIES}: {unmarked}")
    # Under pytest-xdist (`--dist loadgroup`, as `make test` runs) a worker takes a whole file,
    # so a module-scoped fixture (a service, a Prometheus, a browser) starts once, as it does
    # serially. A file sharing a session fixture with another names a group of its own.
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.path.relative_to(ROOT).as_posix()))
    # The stack tests start the whole compose lab (a first run pulls about 2 GB), so they run
    # only when asked for: `make test-stack` or `STACK=1 make test`.
    if not stack_opted_in():
        opt_in = pytest.mark.skip(reason=STACK_OPT_IN)
        for item in items:
            if item.get_closest_marker("stack"):
                item.add_marker(opt_in)


STACK_OPT_IN = "stack tests are opt-in: run `make test-stack` or `STACK=1 make test`"


def stack_opted_in() -> bool:
    return os.environ.get("STACK", "").lower() in ("1", "true", "yes")


def docker_engine_reason() -> str | None:
    """Why the compose stack cannot run here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    try:
        subprocess.run(
            ["docker", "compose", "version"], check=True, capture_output=True, timeout=20
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return "docker compose (v2) is not available"
    try:
        subprocess.run(["docker", "info"], check=True, capture_output=True, timeout=20)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return "no Docker engine answers `docker info`"
    return None


@pytest.fixture(scope="session")
def docker_engine() -> None:
    reason = docker_engine_reason()
    if reason:
        pytest.skip(f"stack tests need a Docker engine: {reason}")
