"""Shared test plumbing: markers, real tools, and the Docker guard for stack tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = ROOT / ".tools" / "bin"
CATEGORIES = ("unit", "contract", "config", "e2e", "stack", "bench")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test states what it needs, so `-m` selections never miss one silently.
    unmarked = [i.nodeid for i in items if not any(i.get_closest_marker(c) for c in CATEGORIES)]
    if unmarked:
        raise pytest.UsageError(f"tests without a category marker {CATEGORIES}: {unmarked}")
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


def tools_required() -> bool:
    return os.environ.get("REQUIRE_TOOLS", "0") == "1"


def real_tool(name: str) -> Path:
    """Path of a real tool fetched by `make tools`; skips (or fails in CI) when it is missing."""
    candidate = TOOLS_BIN / name
    if candidate.exists() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    message = f"{name} is not installed: run `make tools`"
    if tools_required():
        pytest.fail(message + " (REQUIRE_TOOLS=1)")
    pytest.skip(message)


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
