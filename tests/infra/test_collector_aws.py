"""The collector sidecar on ECS: the same adot/otel-config.yaml and AWS overlay as compose's AWS
mode, plus the ECS overlay (and the CloudWatch one when enabled), still only components ADOT
v0.49.0 has, wired to AMP, Loki and X-Ray only, with every ${env:...} set by the task."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.config.lab import deep_merge, load_yaml
from tests.config.test_pipeline_configs import ADOT_DEPRECATED, ADOT_V0_49_COMPONENTS
from tests.conftest import ROOT
from tests.infra import hcl

pytestmark = pytest.mark.config

ADOT_DIR = ROOT / "adot"
FILES = {
    "ecs": ["otel-config.yaml", "otel-config.aws.yaml", "otel-config.ecs.yaml"],
    "ecs+cloudwatch": [
        "otel-config.yaml",
        "otel-config.aws.yaml",
        "otel-config.ecs.yaml",
        "otel-config.cloudwatch.yaml",
    ],
}


def merged(which: str) -> dict[str, Any]:
    config: Any = {}
    for name in FILES[which]:
        config = deep_merge(config, load_yaml(ADOT_DIR / name))
    assert isinstance(config, dict)
    return config


def pipeline_exporters(config: dict[str, Any]) -> dict[str, list[str]]:
    return {n: p["exporters"] for n, p in config["service"]["pipelines"].items()}


@pytest.mark.parametrize("which", sorted(FILES))
def test_only_components_adot_v0_49_has(which: str) -> None:
    config = merged(which)
    for section, known in ADOT_V0_49_COMPONENTS.items():
        for component_id in config.get(section) or {}:
            kind = component_id.split("/", 1)[0]
            assert kind in known, f"{section}: {component_id} is not in ADOT v0.49.0"
            assert kind not in ADOT_DEPRECATED[section], f"{component_id}: deprecated alias"


@pytest.mark.parametrize("which", sorted(FILES))
def test_pipelines_reference_defined_components_in_order(which: str) -> None:
    config = merged(which)
    for name, pipeline in config["service"]["pipelines"].items():
        for section in ("receivers", "processors", "exporters"):
            for cid in pipeline[section]:
                assert cid in config[section], f"{name}: {cid} is not defined"
        assert pipeline["processors"][0] == "memory_limiter", name
        assert pipeline["processors"][-1].startswith("batch"), name
        assert "resource" in pipeline["processors"], name


def test_ecs_sends_metrics_to_amp_logs_to_loki_traces_to_xray_once() -> None:
    config = merged("ecs")
    exporters = pipeline_exporters(config)
    assert exporters["metrics"] == ["prometheus_remote_write/amp"]
    assert exporters["logs"] == ["otlp_http/loki"]
    assert exporters["traces"] == ["awsxray"]
    used = {e for es in exporters.values() for e in es}
    # Nothing in the task listens for Prometheus, Tempo or the X-Ray daemon.
    assert not used & {"prometheus_remote_write", "otlp_grpc/tempo"}
    assert config["exporters"]["awsxray"]["endpoint"] == ""
    assert config["exporters"]["otlp_http/loki"]["endpoint"] == "${env:LOKI_OTLP_ENDPOINT}"
    # The base traces/xray pipeline cannot be deleted by a merge: it drops every span, first.
    xray = config["service"]["pipelines"]["traces/xray"]
    assert xray["processors"][1] == "filter/drop_all"
    assert config["processors"]["filter/drop_all"]["traces"]["span"] == ["true"]
    assert "sigv4auth" in config["service"]["extensions"]


def test_cloudwatch_overlay_only_adds_its_own_pipelines() -> None:
    plain, cw = merged("ecs"), merged("ecs+cloudwatch")
    for name, pipeline in plain["service"]["pipelines"].items():
        assert cw["service"]["pipelines"][name] == pipeline
    added = set(cw["service"]["pipelines"]) - set(plain["service"]["pipelines"])
    assert added == {"metrics/cloudwatch", "logs/cloudwatch"}
    assert pipeline_exporters(cw)["metrics/cloudwatch"] == ["awsemf"]
    assert pipeline_exporters(cw)["logs/cloudwatch"] == ["awscloudwatchlogs"]
    assert cw["exporters"]["awsemf"]["namespace"] == "GenAILab"


def _env_refs(path: Path) -> set[str]:
    code = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
    return set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", code))


def test_every_env_reference_is_set_by_the_task_definition() -> None:
    root = hcl.load(hcl.ROOT_MODULE)
    env = set(root.locals["adot_env"])
    for name in FILES["ecs+cloudwatch"]:
        missing = _env_refs(ADOT_DIR / name) - env
        assert not missing, f"{name} reads {missing}, local.adot_env does not set them"


def test_the_sidecar_image_holds_every_config_the_task_names() -> None:
    root = hcl.load(hcl.ROOT_MODULE)
    named = set(re.findall(r"/etc/adot/([\w.-]+\.yaml)", root.locals["adot_configs"]))
    copied = set(
        re.findall(r"adot/([\w.-]+\.yaml)", (ROOT / "infra/images/adot.Dockerfile").read_text())
    )
    assert named == set(FILES["ecs+cloudwatch"]) == copied
