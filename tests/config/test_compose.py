"""The compose stack's rules, checked on the files and on what the real `docker compose config`
makes of them: pinned images, loopback ports, healthchecks, ordered start-up, memory limits,
log rotation, volumes, and no default secrets. None of this needs a Docker engine."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.config.lab import (
    ARCHITECTURE_PORTS,
    AWS_OVERLAY,
    AWS_TEST_ENV,
    COMPOSE_FILE,
    ENV_EXAMPLE,
    VERSIONS_ENV,
    compose_config,
    load_yaml,
    mebibytes,
    raw_compose,
    read_env_file,
    resolved_compose,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.config

# Services that cannot have a healthcheck, each with the reason (also written as a comment in
# docker-compose.yml) and the depends_on condition dependants must use instead.
NO_HEALTHCHECK = {
    # FROM scratch image with only /xray; no health flag or endpoint (aws-xray-daemon Dockerfile).
    "xray-daemon": "service_started",
    # One-shot job: success is its exit code.
    "minio-init": "service_completed_successfully",
    # One-shot job (aiops's Grafana token): success is its exit code.
    "grafana-token": "service_completed_successfully",
}
# Services that run the app image (app/Dockerfile) rather than a pulled one; the first builds it.
BUILT = {"genai-service", "aiops", "grafana-token"}
APP_BUILDER = "genai-service"
# Go programs: their GOMEMLIMIT must sit under the container limit.
GO_SERVICES = {
    "adot",
    "xray-daemon",
    "prometheus",
    "alertmanager",
    "loki",
    "minio",
    "tempo",
    "grafana",
    "blackbox-exporter",
}
MEMORY_BUDGET_MIB = 3 * 1024


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return raw_compose()


@pytest.fixture(scope="module")
def services(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return raw["services"]


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    return resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE])


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("aws") / "aws.env"
    path.write_text(AWS_TEST_ENV)
    return path


# ------------------------------------------------------------------ docker compose config


def test_base_file_is_valid_for_compose() -> None:
    out = compose_config(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE], extra_args=("-q",))
    assert out.returncode == 0, out.stderr


def test_aws_overlay_is_valid_for_compose(aws_env: Path) -> None:
    out = compose_config(
        COMPOSE_FILE,
        AWS_OVERLAY,
        env_files=[VERSIONS_ENV, ENV_EXAMPLE, aws_env],
        extra_args=("-q",),
    )
    assert out.returncode == 0, out.stderr


def test_aws_overlay_refuses_to_start_without_its_settings() -> None:
    out = compose_config(COMPOSE_FILE, AWS_OVERLAY, env_files=[VERSIONS_ENV, ENV_EXAMPLE])
    assert out.returncode != 0
    assert "AMP_REMOTE_WRITE_URL" in out.stderr or "LOKI_S3_BUCKET" in out.stderr


def test_aws_overlay_changes_only_what_its_readme_lists(aws_env: Path) -> None:
    base = resolved_compose(COMPOSE_FILE, env_files=[VERSIONS_ENV, ENV_EXAMPLE, aws_env])
    aws = resolved_compose(
        COMPOSE_FILE, AWS_OVERLAY, env_files=[VERSIONS_ENV, ENV_EXAMPLE, aws_env]
    )
    changed = {name for name in base["services"] if base["services"][name] != aws["services"][name]}
    assert changed == {"adot", "loki"}
    adot = aws["services"]["adot"]
    assert adot["command"] == [
        "--config=/etc/adot/otel-config.yaml",
        "--config=/etc/adot/otel-config.aws.yaml",
    ]
    loki_mounts = {v["target"]: v["source"] for v in aws["services"]["loki"]["volumes"]}
    assert loki_mounts["/etc/loki/loki.yaml"].endswith("loki/loki.aws.yaml")


@pytest.mark.parametrize(
    "secret",
    [
        "GRAFANA_ADMIN_PASSWORD",
        "MINIO_ROOT_PASSWORD",
        "ADMIN_TOKEN",
        "LAB_API_KEY",
        "AIOPS_WEBHOOK_TOKEN",
        "LAB_KEY_ACME",
        "LAB_KEY_GLOBEX",
        "LAB_KEY_INITECH",
        "USER_ID_HASH_KEY",
    ],
)
def test_a_missing_secret_stops_compose_instead_of_a_default(secret: str, tmp_path: Path) -> None:
    env = {k: v for k, v in read_env_file(ENV_EXAMPLE).items() if k != secret}
    env_file = tmp_path / "partial.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    out = compose_config(COMPOSE_FILE, env_files=[VERSIONS_ENV, env_file], extra_args=("-q",))
    assert out.returncode != 0, f"compose accepted a lab without {secret}"
    assert secret in out.stderr


def test_env_example_generates_every_secret() -> None:
    env = read_env_file(ENV_EXAMPLE)
    for secret in (
        "GRAFANA_ADMIN_PASSWORD",
        "MINIO_ROOT_PASSWORD",
        "ADMIN_TOKEN",
        "LAB_API_KEY",
        "AIOPS_WEBHOOK_TOKEN",
        "LAB_KEY_ACME",
        "LAB_KEY_GLOBEX",
        "LAB_KEY_INITECH",
        "USER_ID_HASH_KEY",
    ):
        assert env[secret] == "__generate__", f"{secret} must be generated by scripts/make-env.sh"


def test_make_env_adds_new_secrets_to_an_existing_env(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "make-env.sh", tmp_path / "scripts" / "make-env.sh")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env.example")
    old = "GRAFANA_ADMIN_PASSWORD=kept\nLAB_API_KEY=kept-too"  # no final newline
    (tmp_path / ".env").write_text(old)
    for _ in range(2):  # the second run adds nothing
        subprocess.run(["bash", str(tmp_path / "scripts" / "make-env.sh")], check=True)
    env = read_env_file(tmp_path / ".env")
    assert (tmp_path / ".env").read_text().startswith(old)
    assert env["GRAFANA_ADMIN_PASSWORD"] == "kept" and env["LAB_API_KEY"] == "kept-too"
    assert re.fullmatch(r"[0-9a-f]{48}", env["USER_ID_HASH_KEY"])
    assert (tmp_path / ".env").read_text().count("USER_ID_HASH_KEY=") == 1


# ------------------------------------------------------------------ images


def test_every_image_comes_pinned_from_versions_env(
    services: dict[str, dict[str, Any]], resolved: dict[str, Any]
) -> None:
    versions = read_env_file(VERSIONS_ENV)
    for name, svc in services.items():
        if name == APP_BUILDER:
            assert "build" in svc, f"{name} should be built from app/Dockerfile"
            assert svc["build"]["dockerfile"] == "app/Dockerfile"
            assert svc["build"]["context"] == "."
            assert svc["build"]["args"]["PYTHON_IMAGE"].startswith("${PYTHON_IMAGE:?")
            continue
        if name in BUILT:
            continue
        m = re.fullmatch(r"\$\{([A-Z0-9_]+_IMAGE):\?[^}]*\}", svc["image"])
        assert m, f"{name}: image must be ${{X_IMAGE:?...}} from versions.env, got {svc['image']!r}"
        variable = m.group(1)
        assert variable in versions, f"{name}: {variable} is not in versions.env"
        image = versions[variable]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and "/" not in tag, f"{variable}={image!r} has no tag"
        assert tag != "latest" and not tag.startswith("latest"), f"{variable} is not pinned"
        assert resolved["services"][name]["image"] == image


def test_the_app_image_is_built_once_and_shared(resolved: dict[str, Any]) -> None:
    # Two `build:` sections with one tag build the image twice per `up` and leave the first
    # copy dangling; one service builds and tags it, the others run that tag and never pull it.
    svcs = resolved["services"]
    builders = [n for n, s in svcs.items() if "build" in s]
    assert builders == [APP_BUILDER]
    tag = svcs[APP_BUILDER]["image"]
    assert tag == "genai-lab-app:local"
    assert {n for n, s in svcs.items() if s.get("image") == tag} == BUILT
    for name in BUILT - {APP_BUILDER}:
        assert svcs[name].get("pull_policy") == "never", name
    # Nothing may force a rebuild on every `up`: `make up` builds once, explicitly.
    assert svcs[APP_BUILDER].get("pull_policy") in (None, "missing")


def test_versions_env_pins_the_python_base_image() -> None:
    versions = read_env_file(VERSIONS_ENV)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", versions["PYTHON_IMAGE"])


# ------------------------------------------------------------------ ports


def test_every_port_is_loopback_by_default_and_overridable(
    services: dict[str, dict[str, Any]], resolved: dict[str, Any]
) -> None:
    env = read_env_file(ENV_EXAMPLE)
    assert env["BIND_ADDRESS"] == "127.0.0.1"
    published: dict[str, set[int]] = {}
    for name, svc in services.items():
        for entry in svc.get("ports", []):
            m = re.fullmatch(
                r"\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\$\{([A-Z_]+_PORT):-(\d+)\}:(\d+)", entry
            )
            assert m, (
                f"{name}: port {entry!r} must be ${{BIND_ADDRESS:-127.0.0.1}}:${{X_PORT:-n}}:n"
            )
            variable, default = m.group(1), int(m.group(2))
            assert env.get(variable) == str(default), f"{variable} default differs in .env.example"
            published.setdefault(name, set()).add(default)
        for port in resolved["services"][name].get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes on {port['host_ip']}"
    for name, ports in ARCHITECTURE_PORTS.items():
        assert published.get(name, set()) == ports, f"{name} ports differ from the README"
    every = [p for ports in published.values() for p in ports]
    assert len(every) == len(set(every)), "two services publish the same host port"


def test_no_port_on_macos_airplay_or_other_common_clashes(
    services: dict[str, dict[str, Any]],
) -> None:
    # macOS AirPlay Receiver listens on 5000 and 7000 (a frequent complaint about labs).
    for name, svc in services.items():
        for entry in svc.get("ports", []):
            default = int(re.findall(r":-(\d+)\}", entry)[-1])
            assert default not in {5000, 7000}, f"{name} uses {default}"


# ------------------------------------------------------------------ health and start-up order


def test_every_service_has_a_healthcheck_or_a_stated_reason(
    services: dict[str, dict[str, Any]],
) -> None:
    text = COMPOSE_FILE.read_text()
    for name, svc in services.items():
        if name in NO_HEALTHCHECK:
            assert "healthcheck" not in svc
            block = _service_block(text, name)
            assert re.search(r"#\s*healthcheck: none", block), f"{name}: say why in a comment"
            continue
        check = svc.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        test = check["test"]
        assert isinstance(test, list) and test[0] == "CMD", f"{name}: use exec form, no shell"
        assert test[1:] and test[1] not in {"NONE"}, name
        assert not check.get("disable")


def test_healthchecks_probe_readiness_not_just_liveness(
    services: dict[str, dict[str, Any]],
) -> None:
    # What each image offers (stack-facts.md; loki/tempo cmd/*/health.go check /ready).
    expected = {
        "adot": ["/healthcheck"],
        "loki": ["/usr/bin/loki", "-health"],
        "tempo": ["/tempo", "-health"],
        "minio": ["mc", "ready", "local"],
    }
    for name, cmd in expected.items():
        assert services[name]["healthcheck"]["test"][1:] == cmd
    for name, path in {
        "prometheus": "http://127.0.0.1:9090/-/ready",
        "alertmanager": "http://127.0.0.1:9093/-/ready",
        "grafana": "http://127.0.0.1:3000/api/health",
        "blackbox-exporter": "http://127.0.0.1:9115/-/healthy",
    }.items():
        assert services[name]["healthcheck"]["test"][-1] == path
    assert "/readyz" in services["genai-service"]["healthcheck"]["test"][-1]


def test_start_up_is_ordered_by_health(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for dep, spec in svc.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            expected = NO_HEALTHCHECK.get(dep, "service_healthy")
            assert spec["condition"] == expected, f"{name} -> {dep}: {spec}"
    # The chain that makes data flow on the first request.
    assert services["loki"]["depends_on"]["minio-init"]["condition"] == (
        "service_completed_successfully"
    )
    assert set(services["adot"]["depends_on"]) >= {"prometheus", "loki", "tempo"}
    assert "adot" in services["genai-service"]["depends_on"]
    assert "genai-service" in services["locust"]["depends_on"]
    assert set(services["grafana"]["depends_on"]) >= {"prometheus", "loki", "tempo"}


def test_no_dependency_cycle(services: dict[str, dict[str, Any]]) -> None:
    seen: dict[str, int] = {}

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"cycle: {' -> '.join((*path, node))}"
        if seen.get(node) == 2:
            return
        for dep in services[node].get("depends_on", {}):
            visit(dep, (*path, node))
        seen[node] = 2

    for name in services:
        visit(name, ())


# ------------------------------------------------------------------ memory


def test_memory_limits_fit_an_8gb_laptop(resolved: dict[str, Any]) -> None:
    total = 0.0
    for name, svc in resolved["services"].items():
        assert "mem_limit" in svc, f"{name} has no mem_limit"
        total += mebibytes(svc["mem_limit"])
    assert total <= MEMORY_BUDGET_MIB, f"limits add up to {total:.0f} MiB > {MEMORY_BUDGET_MIB}"


def test_go_services_collect_garbage_before_their_limit(resolved: dict[str, Any]) -> None:
    for name in GO_SERVICES:
        svc = resolved["services"][name]
        limit = mebibytes(svc["mem_limit"])
        gomemlimit = svc["environment"].get("GOMEMLIMIT")
        assert gomemlimit, f"{name} has no GOMEMLIMIT"
        soft = mebibytes(gomemlimit)
        assert soft < limit, f"{name}: GOMEMLIMIT {gomemlimit} not under mem_limit"
        assert soft >= 0.6 * limit, f"{name}: GOMEMLIMIT {gomemlimit} wastes the limit"


def test_collector_memory_limiter_sits_under_gomemlimit(resolved: dict[str, Any]) -> None:
    adot = resolved["services"]["adot"]
    config = load_yaml(ROOT / "adot" / "otel-config.yaml")
    limiter = config["processors"]["memory_limiter"]
    assert limiter["limit_mib"] < mebibytes(adot["environment"]["GOMEMLIMIT"])
    assert limiter["limit_mib"] < mebibytes(adot["mem_limit"])
    assert 0 < limiter["spike_limit_mib"] < limiter["limit_mib"]


# ------------------------------------------------------------------ logs, volumes, secrets


def test_every_container_rotates_its_logs(resolved: dict[str, Any]) -> None:
    for name, svc in resolved["services"].items():
        logging = svc.get("logging")
        assert logging, f"{name} has no logging options"
        assert logging["driver"] == "json-file"
        assert mebibytes(logging["options"]["max-size"]) <= 50
        assert int(logging["options"]["max-file"]) >= 1


def test_data_lives_in_named_volumes_and_config_is_mounted_read_only(
    resolved: dict[str, Any],
) -> None:
    declared = set(resolved.get("volumes", {}))
    for name, svc in resolved["services"].items():
        for mount in svc.get("volumes", []):
            if mount["type"] == "volume":
                assert mount["source"] in declared, f"{name}: undeclared volume {mount['source']}"
            else:
                assert mount["type"] == "bind", f"{name}: {mount}"
                assert mount.get("read_only"), f"{name}: bind mount {mount['target']} not :ro"
                source = Path(mount["source"])
                assert source.is_relative_to(ROOT), f"{name} mounts {source} outside the repo"
                if source.name == "rules" and source.parent.name == "prometheus":
                    # Written by the alerts work; an empty folder is a valid Prometheus setup.
                    continue
                assert source.exists(), f"{name} mounts {source}, which does not exist"


def test_non_root_images_get_volumes_at_paths_their_user_owns(
    resolved: dict[str, Any],
) -> None:
    # A fresh named volume takes the owner of the image directory it is mounted on; these
    # directories are created for the image's user in their Dockerfiles (aws-otel-collector
    # cmd/awscollector/Dockerfile: /home/aoc uid 4317; loki cmd/loki/Dockerfile: /loki 10001;
    # tempo cmd/tempo/Dockerfile: /var/tempo 10001).
    expected = {"adot": "/home/aoc", "loki": "/loki", "tempo": "/var/tempo"}
    for name, target in expected.items():
        targets = {
            m["target"] for m in resolved["services"][name]["volumes"] if m["type"] == "volume"
        }
        assert target in targets, f"{name}: data volume must be mounted at {target}"
    queue_dir = load_yaml(ROOT / "adot" / "otel-config.yaml")["extensions"]["file_storage/queue"]
    assert queue_dir["directory"].startswith("/home/aoc/")
    assert load_yaml(ROOT / "loki" / "loki.yaml")["common"]["path_prefix"] == "/loki"
    tempo = load_yaml(ROOT / "tempo" / "tempo.yaml")
    assert tempo["storage"]["trace"]["wal"]["path"].startswith("/var/tempo/")
    assert tempo["storage"]["trace"]["local"]["path"].startswith("/var/tempo/")


def test_no_secret_value_is_written_in_the_compose_files() -> None:
    for path in (COMPOSE_FILE, AWS_OVERLAY):
        data = yaml.safe_load(path.read_text())
        for name, svc in data["services"].items():
            env = svc.get("environment", {})
            for key, value in env.items():
                # REQUIRE_API_KEY is a switch, not a secret; *_FILE names where one is kept.
                if key.endswith("_FILE"):
                    continue
                if re.search(
                    r"PASSWORD|SECRET|TOKEN|(?<!REQUIRE_)API_KEY|ACCESS_KEY|TENANT_KEYS", key
                ):
                    assert isinstance(value, str) and "${" in value, f"{name}.{key}"
                    ref = r"\$\{[A-Z0-9_]+(?::\?[^}]*|:-(?:lab-placeholder)?)\}"
                    # Several keys may be joined with non-secret glue (tenant names, tiers).
                    glue = re.sub(ref, "", value)
                    assert re.fullmatch(r"[a-z:,=]*", glue), (
                        f"{name}.{key} = {value!r}: secrets come from .env"
                    )


def _service_block(text: str, name: str) -> str:
    """The lines of one service in docker-compose.yml, comments included."""
    m = re.search(rf"^  {re.escape(name)}:\n(.*?)(?=^  [a-z][\w-]*:\n|^\S)", text, re.M | re.S)
    assert m, f"service {name} not found in the text"
    return m.group(1)


def test_locust_calls_as_each_tenant_with_its_own_key(resolved: dict[str, Any]) -> None:
    """No shared key acting for other tenants: the service knows one key per Locust tenant,
    and Locust sends each tenant's traffic with that tenant's key."""
    service_env = resolved["services"]["genai-service"]["environment"]
    locust_env = resolved["services"]["locust"]["environment"]
    entries = dict(
        (tenant, key)
        for key, tenant, _tier in (e.rsplit(":", 2) for e in service_env["API_KEYS"].split(","))
    )
    pairs = dict(p.split("=", 1) for p in locust_env["LAB_TENANT_KEYS"].split(","))
    assert set(entries) == set(pairs) == {"acme", "globex", "initech"}
    assert entries == pairs
    assert "API_KEYS_FILE" not in service_env  # no delegating platform key in the stack
