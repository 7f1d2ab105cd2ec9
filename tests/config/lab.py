"""Reading the lab's compose files and configs the way the tools do, for the config tests."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, real_tool

COMPOSE_FILE = ROOT / "docker-compose.yml"
AWS_OVERLAY = ROOT / "docker-compose.aws.yml"
VERSIONS_ENV = ROOT / "versions.env"
ENV_EXAMPLE = ROOT / ".env.example"

# Values the AWS overlay requires; dummies are enough for `docker compose config`.
AWS_TEST_ENV = (
    "AMP_REMOTE_WRITE_URL=https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-test/api/v1/remote_write\n"
    "LOKI_S3_BUCKET=lab-test-bucket\n"
)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as compose reads an --env-file (comments and blanks skipped)."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def raw_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as written (variables not substituted, anchors resolved by YAML)."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def compose_config(
    *files: Path, env_files: list[Path], extra_args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with the real compose binary (needs no Docker engine)."""
    cmd = [str(real_tool("docker-compose"))]
    for env_file in env_files:
        cmd += ["--env-file", str(env_file)]
    for f in files:
        cmd += ["-f", str(f)]
    cmd += ["config", *extra_args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


def resolved_compose(*files: Path, env_files: list[Path]) -> dict[str, Any]:
    """The model compose would run: variables substituted, overrides merged."""
    out = compose_config(*files, env_files=env_files, extra_args=("--format", "json"))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, dict)
    return data


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def deep_merge(base: Any, override: Any) -> Any:
    """The collector's merge of several --config files: maps merge key by key, the rest
    (lists, scalars) is replaced (opentelemetry-collector confmap, Conf.Merge)."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return override


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$", re.IGNORECASE)


def mebibytes(value: str | int) -> float:
    """A compose mem_limit ("256m", "1g", bytes) or a GOMEMLIMIT ("210MiB") in MiB."""
    if isinstance(value, int):
        return value / 2**20
    m = _SIZE.match(value.strip())
    assert m, f"cannot read size {value!r}"
    number = float(m.group(1))
    unit = (m.group(2) or "b").lower().rstrip("b").rstrip("i")
    factor = {"": 1 / 2**20, "k": 1 / 1024, "m": 1.0, "g": 1024.0}[unit]
    return number * factor


# Every compose service and the host ports it publishes by default: only what a person uses
# (README "URLs and ports", tests/config/test_ports.py). The backends' ports are opt-in
# (<name>/publish.yml, `make up PUBLISH=<name>`).
ARCHITECTURE_PORTS = {
    "genai-service": {8000},
    "aiops": {8001},
    "adot": {4317, 4318, 13133},
    "prometheus": set(),
    "alertmanager": set(),
    "loki": set(),
    "tempo": set(),
    "minio": {9001},
    "xray-daemon": set(),
    "grafana": {3000},
    "locust": {8089},
    "minio-init": set(),
    "grafana-token": set(),
    "blackbox-exporter": set(),
}
