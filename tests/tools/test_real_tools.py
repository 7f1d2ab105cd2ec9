"""The real tools the config and e2e tests rely on are present and answer."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import real_tool

pytestmark = pytest.mark.config


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("prometheus", "prometheus, version 3."),
        ("promtool", "promtool, version 3."),
        ("alertmanager", "alertmanager, version 0."),
        ("amtool", "amtool, version 0."),
        ("blackbox_exporter", "blackbox_exporter, version 0."),
        ("docker-compose", "Docker Compose version"),
    ],
)
def test_tool_answers_version(tool: str, expected: str) -> None:
    out = subprocess.run(
        [str(real_tool(tool)), "--version"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert expected in (out.stdout + out.stderr)
