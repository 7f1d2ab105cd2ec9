"""The /crash span's stack trace fits, whole, in what Tempo keeps of one attribute.

Tempo cut exception.stacktrace at its 2 KB default (max_attribute_bytes), dropping the innermost
frame and the exception line; tempo/tempo.yaml raises the limit. This reads the real span the
service records and the limit the config sets, so either side growing past the other fails."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from genai_service.main import create_app
from genai_service.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

TEMPO_DEFAULT_MAX_ATTRIBUTE_BYTES = 2048  # grafana/tempo v3.0.3 modules/distributor/config.go


def test_the_crash_stack_trace_fits_in_tempos_attribute_limit(pipeline) -> None:
    settings = Settings.from_env({"SIM_LATENCY_MS": "0", "SIM_TIMEOUT_S": "0"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/crash").status_code == 500
    stacks = [
        e.attributes["exception.stacktrace"]
        for s in pipeline.spans()
        for e in s.events
        if e.name == "exception" and "ZeroDivisionError" in e.attributes["exception.type"]
    ]
    assert stacks, [s.name for s in pipeline.spans()]
    stack = max(stacks, key=len)
    # The part the default cut lost: the innermost frame and the exception line, at the end.
    assert stack.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "_average_tokens" in stack
    size = len(stack.encode())
    assert size > TEMPO_DEFAULT_MAX_ATTRIBUTE_BYTES, size
    limit = yaml.safe_load((ROOT / "tempo" / "tempo.yaml").read_text())["distributor"][
        "max_attribute_bytes"
    ]
    # Room for deeper stacks than this one (more middleware, a provider SDK's frames).
    assert size * 3 <= limit, (size, limit)
