"""`make run` (scripts/run-native.sh) reads .env so the native service and `make chaos` agree on
ADMIN_TOKEN; a variable set in the environment wins over .env."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tools.processes import ROOT, SERVICE_TEST_ENV, free_port, run_process

pytestmark = pytest.mark.e2e


def admin_status(base_url: str, token: str) -> int:
    r = httpx.get(
        base_url + "/admin/faults", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    return r.status_code


@pytest.mark.parametrize("explicit", [None, "from-the-environment"])
def test_run_native_reads_dotenv_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit: str | None
) -> None:
    for var in ("ADMIN_TOKEN", "LAB_API_KEY", "DAILY_BUDGET_USD"):
        monkeypatch.delenv(var, raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# written by make up\nADMIN_TOKEN='from-dotenv'\nLAB_API_KEY=\nBROKEN LINE\n"
    )
    env = {**SERVICE_TEST_ENV, "LAB_DOTENV": str(dotenv)}
    if explicit:
        env["ADMIN_TOKEN"] = explicit
    port = free_port()
    cmd = ["bash", str(ROOT / "scripts" / "run-native.sh"), "127.0.0.1", str(port)]
    with run_process("run-native", cmd, port=port, ready_path="/readyz", env=env) as proc:
        expected = explicit or "from-dotenv"
        assert admin_status(proc.base_url, expected) == 200, proc.output()
        other = "from-dotenv" if explicit else "from-the-environment"
        assert admin_status(proc.base_url, other) == 403
        assert f"settings from {dotenv}" in proc.output()
