"""Shared test plumbing: markers, real tools, and the Docker guard for stack tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
    misplaced = [
        i.nodeid
        for i in items
        for fixture, files in SHARED_SESSION_FIXTURES.items()
        if fixture in getattr(i, "fixturenames", ())
        and i.path.relative_to(ROOT).as_posix() not in files
    ]
    if misplaced:
        raise pytest.UsageError(f"add their files to SHARED_SESSION_FIXTURES: {misplaced}")
    # The stack tests start the whole compose lab (a first run pulls about 2 GB), so they run
    # only when asked for: `make test-stack` or `STACK=1 make test`.
    if not stack_opted_in():
        opt_in = pytest.mark.skip(reason=STACK_OPT_IN)
        for item in items:
            if item.get_closest_marker("stack"):
                item.add_marker(opt_in)


# Session fixtures that take long to set up, and every test file using them. With pytest-xdist
# (`make test`: --dist loadfile) these files go to one worker, so the fixture starts once per run
# rather than once per worker; every other file is a unit of its own, so its module fixtures
# start once as they do serially.
SHARED_SESSION_FIXTURES = {
    "alerting_pipeline": (
        "tests/e2e/test_aiops_pipeline.py",
        "tests/e2e/test_alerting_pipeline.py",
    ),
}

# Units that wait longest (for alerts' `for:` durations), started first under pytest-xdist.
LONGEST_FIRST = ("alerting_pipeline", "tests/e2e/test_availability_probes.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    unit_of = {
        file: fixture for fixture, files in SHARED_SESSION_FIXTURES.items() for file in files
    }

    class LoadFileWithSharedFixtures(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return unit_of.get(file, file)

        def _assign_work_unit(self, node: Any) -> None:
            # xdist hands out the files with the most tests first, which would leave the
            # one-test files that wait a minute for an alert to the end of the run.
            for unit in reversed(LONGEST_FIRST):
                if unit in self.workqueue:
                    self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return LoadFileWithSharedFixtures(config, log)


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
