"""Least privilege in the compose stack, on what the real `docker compose config` resolves:
no-new-privileges, every capability dropped, a process limit, a read-only root filesystem
unless a stated reason says why not; secrets only where they are used; Prometheus without
its lifecycle API; a reason beside every published port."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.config.lab import COMPOSE_FILE, ENV_EXAMPLE, VERSIONS_ENV, compose_config

pytestmark = pytest.mark.config

# Services whose image cannot run on a read-only root filesystem; the reason is also written
# beside the service in docker-compose.yml.
WRITABLE_ROOT = {
    "alertmanager": "secret",
    "minio": "${HOME}/.minio",
    "grafana": "logs, plugin and image caches",
}
# Capabilities a service may add back after dropping ALL: none needs any today.
ALLOWED_CAP_ADD: dict[str, set[str]] = {}
MAX_PIDS = 512


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = compose_config(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    assert out.returncode == 0, out.stderr
    return dict(yaml.safe_load(out.stdout))


def test_every_service_drops_privileges(resolved: dict[str, Any]) -> None:
    for name, svc in resolved["services"].items():
        assert "no-new-privileges:true" in svc.get("security_opt", []), name
        assert svc.get("cap_drop") == ["ALL"], name
        assert set(svc.get("cap_add", [])) <= ALLOWED_CAP_ADD.get(name, set()), name
        assert 0 < int(svc.get("pids_limit", 0)) <= MAX_PIDS, name
        assert not svc.get("privileged"), name


def test_root_filesystems_are_read_only_unless_a_reason_is_written(
    resolved: dict[str, Any],
) -> None:
    text = COMPOSE_FILE.read_text()
    for name, svc in resolved["services"].items():
        if name in WRITABLE_ROOT:
            assert not svc.get("read_only"), f"{name} is read-only now: drop it from the list"
            block = re.search(
                rf"^  {re.escape(name)}:\n(.*?)(?=^  [a-z][\w-]*:\n|^\S)", text, re.M | re.S
            )
            assert block and "Not read_only:" in block.group(1), name
            assert WRITABLE_ROOT[name] in block.group(1), name
        else:
            assert svc.get("read_only") is True, f"{name} should have a read-only root"


def test_aiops_holds_no_grafana_password_and_needs_its_webhook_token(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    aiops_env = services["aiops"]["environment"]
    assert not {"GRAFANA_PASSWORD", "GRAFANA_USER", "GRAFANA_ADMIN_PASSWORD"} & set(aiops_env)
    assert aiops_env["GRAFANA_TOKEN_FILE"].startswith("/var/lib/aiops-grafana/")
    assert aiops_env["AIOPS_WEBHOOK_TOKEN"]
    token_mounts = {
        name: m
        for name, svc in services.items()
        for m in svc.get("volumes", [])
        if m.get("source") == "aiops-grafana-token"
    }
    assert set(token_mounts) == {"grafana-token", "aiops"}
    assert token_mounts["aiops"].get("read_only") is True
    # The admin password goes only to Grafana and the one-shot job that makes the token.
    holders = {
        name
        for name, svc in services.items()
        if "GRAFANA_ADMIN_PASSWORD" in svc.get("environment", {})
        or "GF_SECURITY_ADMIN_PASSWORD" in svc.get("environment", {})
    }
    assert holders == {"grafana", "grafana-token"}
    assert services["aiops"]["depends_on"]["grafana-token"]["condition"] == (
        "service_completed_successfully"
    )
    secret = services["alertmanager"]["secrets"][0]
    assert (secret["source"], secret["target"], secret["uid"]) == (
        "aiops_webhook_token",
        "/run/secrets/aiops_webhook_token",
        "65534",
    )
    assert resolved["secrets"]["aiops_webhook_token"]["environment"] == "AIOPS_WEBHOOK_TOKEN"


def test_prometheus_has_no_lifecycle_api(resolved: dict[str, Any]) -> None:
    command = resolved["services"]["prometheus"]["command"]
    assert "--web.enable-lifecycle" not in command
    # The collector and Tempo push with remote write: the receiver stays.
    assert "--web.enable-remote-write-receiver" in command


def test_every_published_port_says_why_it_is_published() -> None:
    text = COMPOSE_FILE.read_text()
    blocks = re.findall(r"^    ports:\n((?:      (?:#.*|- .*)\n)+)", text, re.M)
    publishing = [s for s in yaml.safe_load(text)["services"].values() if s.get("ports")]
    assert len(blocks) == len(publishing) >= 6
    for block in blocks:
        lines = block.splitlines()
        # The block opens with the reason; it covers the ports listed under it.
        assert lines[0].strip().startswith("#"), f"no reason for {lines[0].strip()}"
