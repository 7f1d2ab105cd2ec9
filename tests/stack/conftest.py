"""The whole compose stack, started once for the stack tests with testcontainers.

It runs as its own compose project (genai-lab-stacktest) on free loopback ports with freshly
generated secrets, so it never touches a lab the user already runs, and `down --volumes` at the
end removes only its own data. Skipped, with the reason, where no Docker engine answers.

Prometheus, Alertmanager, Loki and Tempo are read the way a person reads them: through Grafana's
datasource proxy with the admin login (the lab does not publish them). Two opt-in overrides are
added for what no person-facing path offers: Loki's POST /flush (Grafana forwards no POST to
Loki) and MinIO's S3 API (OPT_INS).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tools.processes import free_port, run_cli

PROJECT = "genai-lab-stacktest"
# A first run on a laptop pulls about 2 GB of images before this clock starts.
HEALTHY_TIMEOUT_S = float(os.environ.get("STACK_HEALTHY_TIMEOUT_S", "300"))
# Services without a healthcheck and the state that counts as ready (docker-compose.yml).
NO_HEALTHCHECK = {"xray-daemon": "running", "minio-init": "exited"}
# Opt-in host ports the tests need (README "URLs and ports"), each <name>/publish.yml.
OPT_INS = ("loki", "minio")
PORT_VARS = (
    "GENAI_SERVICE_PORT",
    "AIOPS_PORT",
    "ADOT_GRPC_PORT",
    "ADOT_HTTP_PORT",
    "ADOT_HEALTH_PORT",
    "PROMETHEUS_PORT",
    "ALERTMANAGER_PORT",
    "LOKI_PORT",
    "TEMPO_PORT",
    "MINIO_API_PORT",
    "MINIO_CONSOLE_PORT",
    "GRAFANA_PORT",
    "LOCUST_PORT",
)


@dataclass
class Lab:
    env: dict[str, str]
    compose_cmd: list[str]
    started_at: float
    healthy_after_s: float = 0.0
    report: dict[str, Any] = field(default_factory=dict)

    def url(self, port_var: str) -> str:
        return f"http://127.0.0.1:{self.env[port_var]}"

    def backend(self, uid: str, path: str, **params: str) -> httpx.Response:
        """GET a backend's own API through Grafana's datasource proxy, as Explore does."""
        return httpx.get(
            f"{self.url('GRAFANA_PORT')}/api/datasources/proxy/uid/{uid}{path}",
            params=params,
            auth=("admin", self.env["GRAFANA_ADMIN_PASSWORD"]),
            timeout=15,
        )

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_cli(
            [*self.compose_cmd, *args],
            timeout=timeout,
            env={**os.environ, "COMPOSE_PROJECT_NAME": PROJECT},
        )

    def containers(self) -> list[dict[str, Any]]:
        out = self.compose("ps", "--all", "--format", "json", timeout=60)
        assert out.returncode == 0, out.stderr
        text = out.stdout.strip()
        if not text:
            return []
        if text.startswith("["):  # older compose: one JSON array
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def not_ready(self) -> list[str]:
        """Services not (yet) ready, each with its state; [] when the whole stack is."""
        pending = []
        for c in self.containers():
            service, state, health = c["Service"], c["State"], c.get("Health", "")
            if health == "healthy":
                continue
            if not health and NO_HEALTHCHECK.get(service) == state:
                if state == "exited" and int(c.get("ExitCode", 1)) != 0:
                    pending.append(f"{service} (exited {c.get('ExitCode')})")
                continue
            pending.append(f"{service} ({health or state})")
        return pending

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = ["no containers yet"]
        while time.monotonic() < deadline:
            pending = self.not_ready()
            if not pending:
                return
            if any("exited" in p and "minio-init" not in p for p in pending):
                break
            time.sleep(2)
        names = [p.split(" ", 1)[0] for p in pending]
        logs = self.compose("logs", "--no-color", "--tail", "40", *names).stdout
        raise AssertionError(f"not healthy after {timeout_s:.0f}s: {pending}\n{logs[-6000:]}")

    def stats(self) -> dict[str, tuple[float, float]]:
        """Memory in use and limit (MiB) per service, from `docker stats`."""
        ids = {c["ID"]: c["Service"] for c in self.containers() if c["State"] == "running"}
        out = run_cli(
            ["docker", "stats", "--no-stream", "--format", "{{json .}}", *ids], timeout=120
        )
        assert out.returncode == 0, out.stderr
        result: dict[str, tuple[float, float]] = {}
        for line in out.stdout.splitlines():
            row = json.loads(line)
            used, _, limit = row["MemUsage"].partition(" / ")
            service = next(s for cid, s in ids.items() if row["ID"].startswith(cid[:12]))
            result[service] = (_mib(used), _mib(limit))
        return result


def _mib(text: str) -> float:
    text = text.strip()
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "kB": 1e3 / 2**20}
    units |= {"MB": 1e6 / 2**20, "GB": 1e9 / 2**20}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    raise ValueError(f"cannot read memory size {text!r}")


def _test_env_file(path: Path) -> dict[str, str]:
    """.env.example with fresh secrets and free loopback ports."""
    env: dict[str, str] = {}
    for raw in (ROOT / ".env.example").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = secrets.token_hex(16) if value == "__generate__" else value
    env.update({var: str(free_port()) for var in PORT_VARS})
    env["BIND_ADDRESS"] = "127.0.0.1"
    # A busier load than the default, so metrics and logs appear within seconds.
    env["LOCUST_SHAPE"] = "steady"
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return env


def _plain_httpx() -> None:
    """The stack tests pick their trace ids with a traceparent header; httpx instrumented by an
    in-process telemetry test earlier in the same run would replace it with its own span's."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


@pytest.fixture(scope="session")
def lab(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from testcontainers.compose import DockerCompose

    _plain_httpx()

    env_path = tmp_path_factory.mktemp("stack") / "stack.env"
    env = _test_env_file(env_path)
    os.environ["COMPOSE_PROJECT_NAME"] = PROJECT
    compose = DockerCompose(
        context=str(ROOT),
        compose_file_name=["docker-compose.yml", *(f"{name}/publish.yml" for name in OPT_INS)],
        env_file=[str(ROOT / "versions.env"), str(env_path)],
        # `up --build` builds the service image and pulls missing images; `pull=True` would also
        # try to pull the locally built app image.
        build=True,
        pull=False,
        # Our own wait below names the service that is not healthy; `up --wait` would only fail.
        wait=False,
    )
    lab = Lab(env=env, compose_cmd=list(compose.compose_command_property), started_at=0.0)
    try:
        compose.start()
        lab.started_at = time.monotonic()
        lab.wait_ready(HEALTHY_TIMEOUT_S)
        lab.healthy_after_s = time.monotonic() - lab.started_at
        print(f"\nstack: healthy {lab.healthy_after_s:.0f}s after `up` returned")
        yield lab
    finally:
        try:
            if lab.report:
                report = ROOT / "var" / "stack-report.json"
                report.parent.mkdir(exist_ok=True)
                report.write_text(json.dumps(lab.report, indent=2))
                print(f"stack: report written to {report}")
        finally:
            compose.stop(down=True)
            os.environ.pop("COMPOSE_PROJECT_NAME", None)
