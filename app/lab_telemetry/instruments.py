"""Metric instruments, created from the metric catalogue (catalogue.yaml).

Instruments come from the OpenTelemetry *API* meter, so business code can record before (or
without) SDK set-up: the API's proxy meter forwards to the real provider once one is set.
Creating them from the catalogue keeps names, units and bucket boundaries in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from opentelemetry import metrics

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")
METER_NAME = "genai_service"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    instrument: str
    unit: str
    description: str
    source: str
    attributes: tuple[str, ...]
    prometheus: str
    buckets: tuple[float, ...] | None = None
    # Exemplars (a sampled trace id per bucket) cost a reservoir offer per measurement; only
    # the instruments whose panels link to traces keep them.
    exemplars: bool = False

    def label(self, attribute: str) -> str:
        """The Prometheus label of one of this metric's attributes."""
        if attribute not in self.attributes:
            raise KeyError(f"{self.name} has no attribute {attribute} in the catalogue")
        return prom_label(attribute)


def prom_label(attribute: str) -> str:
    """OTel attribute to Prometheus label: dots (and any other non-word character) become _."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in attribute)


@cache
def catalogue() -> dict[str, MetricSpec]:
    raw = yaml.safe_load(CATALOGUE_PATH.read_text())
    specs = {}
    for m in raw["metrics"]:
        specs[m["name"]] = MetricSpec(
            name=m["name"],
            instrument=m["instrument"],
            unit=m["unit"],
            description=m["description"],
            source=m["source"],
            attributes=tuple(m.get("attributes") or ()),
            prometheus=m["prometheus"],
            buckets=tuple(float(b) for b in m["buckets"]) if m.get("buckets") else None,
            exemplars=bool(m.get("exemplars", False)),
        )
    return specs


@cache
def instrument(name: str) -> Any:
    """The instrument for a catalogued metric; unknown names raise KeyError on purpose."""
    spec = catalogue()[name]
    meter = metrics.get_meter(METER_NAME)
    if spec.instrument == "histogram":
        return meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.description,
            explicit_bucket_boundaries_advisory=list(spec.buckets or ()),
        )
    if spec.instrument == "counter":
        return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
    if spec.instrument == "updowncounter":
        return meter.create_up_down_counter(spec.name, unit=spec.unit, description=spec.description)
    if spec.instrument == "gauge":
        return meter.create_gauge(spec.name, unit=spec.unit, description=spec.description)
    raise ValueError(f"{name}: unknown instrument kind {spec.instrument!r}")
