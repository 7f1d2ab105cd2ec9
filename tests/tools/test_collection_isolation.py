"""Collecting the test suite changes nothing in the process: no telemetry pipeline installed,
httpx not instrumented. `pytest -m stack` collects every file before it deselects, and an
instrumented httpx replaced the traceparent the stack tests send, so their trace ids never
reached the service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.unit

PLUGIN = textwrap.dedent(
    """\
    import json, os

    def pytest_collection_finish(session):
        from opentelemetry import trace
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from lab_telemetry import setup

        state = {
            "httpx_instrumented": HTTPXClientInstrumentor().is_instrumented_by_opentelemetry,
            "pipeline_installed": setup.current() is not None,
            "tracer_provider": type(trace.get_tracer_provider()).__name__,
            "collected": len(session.items),
        }
        with open(os.environ["COLLECTION_STATE"], "w") as f:
            json.dump(state, f)
    """
)


def test_collecting_the_whole_suite_for_stack_leaves_httpx_uninstrumented(tmp_path: Path) -> None:
    (tmp_path / "collection_probe.py").write_text(PLUGIN)
    state_file = tmp_path / "state.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "COLLECTION_STATE": str(state_file),
    }
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "stack",
         "-p", "collection_probe", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    state = json.loads(state_file.read_text())
    assert state["collected"] > 0, state
    assert state["httpx_instrumented"] is False, state
    assert state["pipeline_installed"] is False, state
    assert state["tracer_provider"] == "ProxyTracerProvider", state
