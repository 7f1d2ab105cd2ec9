"""The service image: its Dockerfile's promises, and the wheel it installs carrying its data.

No Docker engine is needed: the Dockerfile is read as text, and the wheel is built with uv
exactly as the image's builder stage builds it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, tools_required

pytestmark = pytest.mark.config

DOCKERFILE = (ROOT / "app" / "Dockerfile").read_text()


def versions_env() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / "versions.env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_base_image_is_the_pinned_one_and_multi_stage() -> None:
    default = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert default and default.group(1) == versions_env()["PYTHON_IMAGE"]
    assert re.search(r"^FROM \$\{PYTHON_IMAGE\} AS builder$", DOCKERFILE, re.M)
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) == 2


def test_installs_from_the_lock_only() -> None:
    syncs = re.findall(r"uv sync ([^\n]+)", DOCKERFILE)
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs)


def test_runs_as_non_root_with_a_healthcheck() -> None:
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*genai_service\.healthcheck", DOCKERFILE, re.M)
    assert "curl" not in DOCKERFILE and "wget" not in DOCKERFILE


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines  # an allow-list: everything not re-included (.env, .venv) stays out
    assert {"!pyproject.toml", "!uv.lock", "!app/"} <= set(lines)
    assert not any(line.startswith("!.env") for line in lines)


def _uv() -> str | None:
    local = ROOT / ".tools" / "uv" / "bin" / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def test_wheel_carries_both_packages_and_their_data_files(tmp_path: Path) -> None:
    uv = _uv()
    if uv is None:
        if tools_required():
            pytest.fail("uv is not installed (REQUIRE_TOOLS=1)")
        pytest.skip("uv is not installed")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "genai_service/main.py",
        "genai_service/pricing.yaml",
        "genai_service/orchestrator/templates.yaml",
        "lab_telemetry/catalogue.yaml",
        "genai_service/healthcheck.py",
        "aiops/main.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
