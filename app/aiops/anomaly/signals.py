"""The signals scored per service, as PromQL over the lab's recording rules (prometheus/rules/
genai.yml), so the detector reads exactly what the dashboards and alerts read."""

from __future__ import annotations

from dataclasses import dataclass

SERVICE_LABELS = ("deployment_environment_name", "service_namespace", "service_name")
_BY = ", ".join(SERVICE_LABELS)


@dataclass(frozen=True)
class Signal:
    name: str  # the anomaly_signal label value
    title: str  # how a summary names it
    unit: str  # appended to values in text
    query: str  # one series per service
    min_scale: float  # the smallest deviation that counts as one "sigma" (see score.py)


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "latency_p95",
        "p95 latency",
        " s",
        # /crash fails fast on purpose and would drag the percentile around.
        f"histogram_quantile(0.95, sum by ({_BY}, le) "
        '(service_route_le:http_server_request_duration_seconds_bucket:rate5m{http_route!="/crash"}))',
        0.01,
    ),
    Signal(
        "error_ratio",
        "5xx error ratio",
        "",
        "service:http_server_errors:ratio_rate5m",
        0.002,
    ),
    Signal(
        "cost_rate",
        "cost rate",
        " USD/s",
        "service:genai_lab_cost_usd:rate5m",
        1e-5,
    ),
    Signal(
        "token_rate",
        "token rate",
        " tokens/s",
        f"sum by ({_BY}) (service_model_type:gen_ai_client_token_usage:rate5m)",
        1.0,
    ),
)
BY_NAME = {s.name: s for s in SIGNALS}
