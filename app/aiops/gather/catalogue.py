"""Series names from the project's metric catalogue, so aiops queries what the service emits."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml


def prom_label(attribute: str) -> str:
    """OTel attribute to Prometheus label: dots (and any other non-word character) become _."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in attribute)


@dataclass(frozen=True)
class Metric:
    name: str
    prometheus: str
    attributes: tuple[str, ...]

    def label(self, attribute: str) -> str:
        if attribute not in self.attributes:
            raise KeyError(f"{self.name} has no attribute {attribute} in the catalogue")
        return prom_label(attribute)


def load() -> dict[str, Metric]:
    text = resources.files("lab_telemetry").joinpath("catalogue.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return {
        m["name"]: Metric(m["name"], m["prometheus"], tuple(m.get("attributes") or ()))
        for m in data["metrics"]
    }
