"""Which Prometheus series dashboards and rules may use.

Three sources, nothing else:
1. the metric catalogue (app/lab_telemetry/catalogue.yaml), `prometheus:` names, with
   _bucket/_sum/_count for histograms;
2. the recording rules in prometheus/rules/*.yml;
3. EXTERNAL_METRICS below: self-metrics of the pipeline's components (collector, Loki, Tempo,
   Prometheus) and Prometheus's built-in series, each with where its name comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from dashgen.names import RULES_DIR

# name -> source of the name (for the reviewer; the tests check that each is used).
EXTERNAL_METRICS: dict[str, str] = {
    # Prometheus built-ins.
    "up": "Prometheus: one series per scrape target (1 up, 0 down)",
    "ALERTS": "Prometheus: alert state series of every pending/firing alert",
    # Prometheus's own metrics (scrape job `prometheus`), checked on a real 3.5 /metrics.
    "prometheus_http_requests_total": "Prometheus self-metric (remote write: /api/v1/write)",
    "prometheus_tsdb_head_samples_appended_total": "Prometheus self-metric: ingested samples",
    # ADOT collector (contrib v0.156) internal telemetry, OTel Go Prometheus exporter names
    # (counters get _total): opentelemetry.io docs/collector/internal-telemetry.md,
    # core receiverhelper/exporterhelper metadata.yaml.
    **{
        f"otelcol_{stage}_{items}_total": "ADOT collector internal telemetry (job adot, :8888)"
        for stage in (
            "receiver_accepted",
            "receiver_refused",
            "exporter_sent",
            "exporter_send_failed",
            "exporter_enqueue_failed",
        )
        for items in ("spans", "metric_points", "log_records")
    },
    "otelcol_exporter_queue_size": "ADOT collector internal telemetry: items in a sending queue",
    "otelcol_exporter_queue_capacity": "ADOT collector internal telemetry: sending queue capacity",
    # Loki 3.7 distributor metrics (pkg/distributor/distributor.go).
    "loki_distributor_lines_received_total": "Loki self-metric: log lines received",
    "loki_distributor_bytes_received_total": "Loki self-metric: log bytes received",
    # Tempo 3.0 distributor and metrics-generator (modules/distributor, span-metrics processor).
    "tempo_distributor_spans_received_total": "Tempo self-metric: spans received",
    "tempo_distributor_bytes_received_total": "Tempo self-metric: span bytes received",
    "traces_spanmetrics_calls_total": "Tempo metrics generator span-metrics (remote-written)",
    # Blackbox exporter 0.28 probe results (prober/http.go; job blackbox, one per target).
    "probe_success": "Blackbox exporter: 1 if the probe of the target succeeded, else 0",
}


def catalogue_series() -> set[str]:
    from lab_telemetry.instruments import catalogue

    names: set[str] = set()
    for spec in catalogue().values():
        if spec.instrument == "histogram":
            names |= {f"{spec.prometheus}_{s}" for s in ("bucket", "sum", "count")}
        else:
            names.add(spec.prometheus)
    return names


def rule_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(rules_dir.glob("*.yml"))


def rules(files: Iterable[Path] | None = None) -> list[dict]:
    out: list[dict] = []
    for path in files if files is not None else rule_files():
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            for rule in group.get("rules", []):
                out.append({**rule, "_file": path.name, "_group": group["name"]})
    return out


def recording_rule_names() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def allowed_series() -> set[str]:
    return catalogue_series() | recording_rule_names() | set(EXTERNAL_METRICS)
