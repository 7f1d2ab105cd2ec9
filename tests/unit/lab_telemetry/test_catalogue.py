"""The metric catalogue is well formed and its Prometheus names follow the translation rules."""

from __future__ import annotations

import pytest

from lab_telemetry.instruments import catalogue, instrument

pytestmark = pytest.mark.unit


def expected_prometheus_name(name: str, unit: str, kind: str) -> str:
    # prometheus/otlptranslator: dots to underscores, "s" adds _seconds, "By" _bytes, "{..}"
    # adds nothing, counters add _total.
    base = name.replace(".", "_")
    if unit == "s":
        base += "_seconds"
    if unit == "By":
        base += "_bytes"
    if kind == "counter":
        base += "_total"
    return base


def test_prometheus_names_follow_translation_rules() -> None:
    for spec in catalogue().values():
        assert spec.prometheus == expected_prometheus_name(spec.name, spec.unit, spec.instrument)


def test_histograms_have_sorted_buckets() -> None:
    for spec in catalogue().values():
        if spec.instrument == "histogram":
            assert spec.buckets, spec.name
            assert list(spec.buckets) == sorted(set(spec.buckets)), spec.name


def test_every_catalogued_metric_makes_an_instrument() -> None:
    for name in catalogue():
        assert instrument(name) is not None


def test_unknown_metric_is_refused() -> None:
    with pytest.raises(KeyError):
        instrument("not.a.catalogued.metric")
