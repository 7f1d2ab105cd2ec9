"""Grafana on AWS: the same provisioning and dashboards, only the datasources file swapped for
grafana/aws/datasources.yaml, whose uids the dashboards already use."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import ROOT
from tests.infra import hcl

pytestmark = pytest.mark.config

AWS_DATASOURCES = ROOT / "grafana" / "aws" / "datasources.yaml"
LOCAL_DATASOURCES = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"


def _by_uid(path):  # type: ignore[no-untyped-def]
    return {d["uid"]: d for d in yaml.safe_load(path.read_text())["datasources"]}


def test_metrics_and_logs_keep_their_uids_and_amp_is_signed() -> None:
    aws, local = _by_uid(AWS_DATASOURCES), _by_uid(LOCAL_DATASOURCES)
    assert {"prometheus", "loki"} <= set(local) & set(aws)
    assert aws["prometheus"]["type"] == "prometheus"
    assert aws["prometheus"]["jsonData"]["sigV4Auth"] is True
    assert aws["prometheus"]["jsonData"]["sigV4AuthType"] == "default"  # the task role
    assert aws["xray"]["type"] == "grafana-x-ray-datasource"
    derived = aws["loki"]["jsonData"]["derivedFields"][0]
    assert derived["datasourceUid"] == "xray"


def test_every_dashboard_datasource_uid_exists_on_aws_or_is_tempo() -> None:
    aws = set(_by_uid(AWS_DATASOURCES))
    used: set[str] = set()
    for board in (ROOT / "grafana" / "dashboards").glob("*.json"):
        used |= set(re.findall(r'"uid":\s*"([a-z]+)"', json.dumps(json.loads(board.read_text()))))
    datasource_uids = used & (aws | {"tempo", "alertmanager"})
    # Tempo (TraceQL panels) and Alertmanager do not exist on AWS: docs/aws/deploy.md says so.
    assert datasource_uids - aws <= {"tempo", "alertmanager"}


def test_environment_the_file_reads_is_set_by_the_task() -> None:
    code = "\n".join(ln.split("#", 1)[0] for ln in AWS_DATASOURCES.read_text().splitlines())
    refs = set(re.findall(r"(?<!\$)\$\{([A-Z_]+)\}", code))
    env = set(hcl.load(hcl.ROOT_MODULE).locals["grafana_env"])
    assert refs and refs <= env, refs - env


def test_the_image_swaps_only_the_datasources_file() -> None:
    dockerfile = (ROOT / "infra" / "images" / "grafana.Dockerfile").read_text()
    assert "COPY grafana/provisioning /etc/grafana/provisioning" in dockerfile
    assert (
        "COPY grafana/aws/datasources.yaml /etc/grafana/provisioning/datasources/datasources.yaml"
        in dockerfile
    )
    assert "COPY grafana/dashboards /var/lib/grafana/dashboards" in dockerfile
    providers = (ROOT / "grafana/provisioning/dashboards/dashboards.yaml").read_text()
    assert "/var/lib/grafana/dashboards" in providers
