"""How `make test` hands test files to pytest-xdist workers (tests/conftest.py).

Pinned to pytest-xdist's scheduler internals (a work queue of units, `_split_scope`,
`_assign_work_unit`), which the conftest's scheduler extends: an xdist upgrade that changes
them fails here, not as a slower or flaky run.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from tests import conftest

pytestmark = pytest.mark.unit


class Worker:
    def __init__(self) -> None:
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)


@pytest.fixture
def scheduler(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    monkeypatch.setattr(request.config.option, "tx", ["2*popen"], raising=False)
    monkeypatch.setattr(request.config.option, "dist", "loadfile", raising=False)
    return conftest.pytest_xdist_make_scheduler(config=request.config, log=None)


def test_files_sharing_a_session_fixture_are_one_unit(scheduler: Any) -> None:
    for fixture, files in conftest.SHARED_SESSION_FIXTURES.items():
        assert {scheduler._split_scope(f"{file}::test_x") for file in files} == {fixture}
    # Any other file is a unit of its own, whatever its tests.
    unit = "tests/unit/aiops/test_store.py"
    assert scheduler._split_scope(f"{unit}::test_a[1]") == unit
    assert scheduler._split_scope(f"{unit}::TestX::test_b") == unit


def test_the_longest_waits_start_first(scheduler: Any) -> None:
    big_unit_file = "tests/unit/aiops/test_store.py"
    scheduler.workqueue = OrderedDict(
        (unit, {f"{unit}::t": False}) for unit in [big_unit_file, *reversed(conftest.LONGEST_FIRST)]
    )
    worker = Worker()
    scheduler.registered_collections = {worker: [f"{u}::t" for u in scheduler.workqueue]}
    started = []
    while scheduler.workqueue:
        scheduler._assign_work_unit(worker)
        started.append(list(scheduler.assigned_work[worker])[-1])
    assert started == [*conftest.LONGEST_FIRST, big_unit_file]


def test_other_distribution_modes_keep_xdist_s_own_scheduler(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(request.config.option, "dist", "load", raising=False)
    assert conftest.pytest_xdist_make_scheduler(config=request.config, log=None) is None
