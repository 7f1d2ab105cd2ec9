"""The service image, built and run for real (needs a Docker engine; skipped without one).

Proves what the Dockerfile promises: under 250 MB, non-root, healthy by its own HEALTHCHECK,
serving genai-service by default and aiops with another command, from the same image.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.stack

TAG = "genai-lab-app:stack-test"
MAX_BYTES = 250 * 1000 * 1000


def docker(*args: str, timeout: float = 60) -> str:
    return subprocess.run(
        ["docker", *args], check=True, capture_output=True, text=True, timeout=timeout
    ).stdout.strip()


def python_image() -> str:
    for line in (ROOT / "versions.env").read_text().splitlines():
        if line.startswith("PYTHON_IMAGE="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("PYTHON_IMAGE missing from versions.env")


@pytest.fixture(scope="module")
def image(docker_engine: None) -> str:
    docker(
        "build",
        "--build-arg",
        f"PYTHON_IMAGE={python_image()}",
        "-f",
        str(ROOT / "app" / "Dockerfile"),
        "-t",
        TAG,
        str(ROOT),
        timeout=1200,
    )
    return TAG


@contextlib.contextmanager
def container(image: str, *args: str, port: int, env: dict[str, str]) -> Iterator[str]:
    flags = [f"-e{k}={v}" for k, v in env.items()]
    cid = docker("run", "-d", "-p", f"127.0.0.1::{port}", *flags, image, *args)
    try:
        deadline = time.monotonic() + 90
        status = ""
        while time.monotonic() < deadline:
            status = docker("inspect", "-f", "{{.State.Health.Status}}", cid)
            if status == "healthy":
                break
            time.sleep(1)
        assert status == "healthy", docker("logs", cid)
        host_port = docker("port", cid, f"{port}/tcp").splitlines()[0].rsplit(":", 1)[1]
        yield f"http://127.0.0.1:{host_port}"
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, timeout=60)


def test_image_is_small_and_non_root(image: str) -> None:
    info = json.loads(docker("image", "inspect", image))[0]
    assert info["Size"] < MAX_BYTES, f"{info['Size'] / 1e6:.0f} MB"
    assert info["Config"]["User"].split(":")[0] not in ("", "0", "root")
    assert info["Config"]["Healthcheck"]["Test"]


def test_service_becomes_healthy_and_serves_chat(image: str) -> None:
    env = {"SIM_LATENCY_MS": "0", "OTEL_SDK_DISABLED": "true"}
    with container(image, port=8000, env=env) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] > 0


def test_same_image_runs_aiops(image: str) -> None:
    env = {"PORT": "8001", "OTEL_SDK_DISABLED": "true"}
    cmd = ["uvicorn", "aiops.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8001"]
    with container(image, *cmd, port=8001, env=env) as url:
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
