"""The CloudWatch dashboard dashgen generates: one widget per catalogue metric, in the namespace
and with the dimensions the collector's awsemf exporter writes."""

from __future__ import annotations

import json

import pytest
import yaml

from dashgen import cloudwatch
from lab_telemetry.instruments import catalogue
from tests.conftest import ROOT

pytestmark = pytest.mark.config


def test_every_catalogue_metric_has_a_widget() -> None:
    board = json.loads(cloudwatch.CLOUDWATCH_DASHBOARD.read_text())
    charted = {w["properties"]["title"] for w in board["widgets"]}
    assert charted == set(catalogue())


def test_widgets_match_what_awsemf_writes() -> None:
    emf = yaml.safe_load((ROOT / "adot" / "otel-config.cloudwatch.yaml").read_text())
    emf = emf["exporters"]["awsemf"]
    (dims,) = emf["metric_declarations"][0]["dimensions"]
    board = json.loads(cloudwatch.CLOUDWATCH_DASHBOARD.read_text())
    for w in board["widgets"]:
        for row in w["properties"]["metrics"]:
            namespace, name, d1, _, d2, env, opts = row
            assert namespace == emf["namespace"]
            assert [d1, d2] == dims
            assert env == "${environment}"
            spec = catalogue()[name]
            assert opts["stat"] in cloudwatch.STATS[spec.instrument]
        assert w["properties"]["region"] == "${region}"


def test_no_overlapping_widgets() -> None:
    board = json.loads(cloudwatch.CLOUDWATCH_DASHBOARD.read_text())
    cells = set()
    for w in board["widgets"]:
        cell = (w["x"], w["y"])
        assert cell not in cells
        cells.add(cell)
        assert w["x"] + w["width"] <= 24
