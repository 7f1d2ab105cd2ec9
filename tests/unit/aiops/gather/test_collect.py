"""Gathering never raises and never waits long: a hung or refusing backend becomes a line in
`unavailable`, and the other backends are still read."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from aiops.gather.collect import gather
from aiops.settings import Settings
from tests.support.aiops_fixtures import incident, load_json
from tests.support.aiops_service import closed_url
from tools.recorder import recording_server

pytestmark = pytest.mark.contract


@pytest.fixture
def hung_url() -> Iterator[str]:
    """A server that accepts connections (the kernel does) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


async def test_hung_and_refusing_backends_are_reported_quickly(hung_url: str) -> None:
    settings = Settings(
        prometheus_url=hung_url, loki_url=closed_url(), tempo_url=hung_url, backend_timeout_s=0.5
    )
    t0 = time.monotonic()
    async with httpx.AsyncClient(timeout=settings.backend_timeout_s) as client:
        ctx = await gather(incident("crash-firing"), settings, client, datetime.now(UTC))
    assert time.monotonic() - t0 < 3
    assert ctx.prometheus == [] and ctx.logs == [] and ctx.traces == []
    by_backend = {u.split(" ", 1)[0]: u for u in ctx.unavailable}
    assert set(by_backend) == {"prometheus", "loki", "tempo"}
    assert "ReadTimeout" in by_backend["prometheus"]  # one line, not one per query
    assert "ConnectError" in by_backend["loki"]


async def test_a_working_loki_is_read_while_prometheus_answers_errors() -> None:
    with recording_server() as loki, recording_server() as prom:
        loki.responses["GET"] = (200, load_json("loki/crash-errors.json"))
        prom.responses["GET"] = (503, {"status": "error", "error": "overloaded"})
        settings = Settings(
            prometheus_url=prom.base_url, loki_url=loki.base_url, tempo_url=closed_url()
        )
        async with httpx.AsyncClient(timeout=2) as client:
            ctx = await gather(incident("crash-firing"), settings, client, datetime.now(UTC))
        query = loki.requests[0]
    assert len(ctx.logs) == 3 and ctx.logs[0].route == "/crash"
    assert query.path.startswith("/loki/api/v1/query_range?")
    assert "direction=backward" in query.path
    assert any(u.startswith("prometheus") and "HTTP 503" in u for u in ctx.unavailable)
    # The alert's own query comes from Prometheus's rules API, which answered an error too.
    assert ctx.alert_expr is None
