"""The CloudWatch dashboard for teams that live in CloudWatch (Terraform enable_cloudwatch).

Generated from the same metric catalogue as the Grafana dashboards: one widget per metric the
services emit, as the collector's awsemf exporter writes them (adot/otel-config.cloudwatch.yaml:
namespace GenAILab, metric names as in OTel, dimensions service.name and
deployment.environment.name). awsemf turns cumulative counters into per-period deltas (so Sum is
the count in the period) and explicit-bucket histograms into statistic sets (so Average and
Maximum, not percentiles). `${region}` and `${environment}` are filled in by Terraform
(infra/terraform/cloudwatch.tf).
"""

from __future__ import annotations

import json
from typing import Any

from dashgen.names import ROOT

CLOUDWATCH_DASHBOARD = ROOT / "grafana" / "cloudwatch" / "genai-lab.json"
NAMESPACE = "GenAILab"
DIMENSIONS = ("service.name", "deployment.environment.name")
#: awsemf statistic per instrument kind.
STATS = {
    "counter": ["Sum"],
    "histogram": ["Average", "Maximum"],
    "gauge": ["Average"],
    "updowncounter": ["Average"],
}
WIDTH, HEIGHT, PER_ROW = 8, 6, 3


def _service(source: str) -> str:
    return "aiops" if source == "aiops" else "genai-service"


def widgets(specs: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        metrics = []
        for stat in STATS[spec.instrument]:
            row: list[Any] = [NAMESPACE, spec.name]
            row += [DIMENSIONS[0], _service(spec.source), DIMENSIONS[1], "${environment}"]
            row.append({"stat": stat, "label": f"{stat} ({spec.unit})"})
            metrics.append(row)
        out.append(
            {
                "type": "metric",
                "x": (i % PER_ROW) * WIDTH,
                "y": (i // PER_ROW) * HEIGHT,
                "width": WIDTH,
                "height": HEIGHT,
                "properties": {
                    "title": spec.name,
                    "region": "${region}",
                    "view": "timeSeries",
                    "period": 60,
                    "metrics": metrics,
                },
            }
        )
    return out


def render() -> str:
    from lab_telemetry.instruments import catalogue

    specs = list(catalogue().values())
    return json.dumps({"widgets": widgets(specs)}, indent=2, sort_keys=True) + "\n"
