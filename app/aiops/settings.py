"""Settings for the aiops service, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_runbooks() -> Path:
    """docs/runbooks of the checkout this code runs from, else of the working directory (an
    image that installs the package elsewhere); RUNBOOKS_DIR overrides both."""
    checkout = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
    return checkout if checkout.is_dir() else Path.cwd() / "docs" / "runbooks"


_DEFAULT_RUNBOOKS = _default_runbooks()


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _float(name: str, default: float) -> float:
    raw = _env(name)
    return float(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    prometheus_url: str = "http://prometheus:9090"
    loki_url: str = "http://loki:3100"
    tempo_url: str = "http://tempo:3200"
    grafana_url: str = ""
    #: Grafana as a browser reaches it (GRAFANA_URL may be an in-network name), for links.
    grafana_public_url: str = "http://127.0.0.1:3000"
    grafana_token: str = ""
    grafana_user: str = ""
    grafana_password: str = ""
    #: Bearer token every write must carry (aiops.auth); empty refuses all writes.
    webhook_token: str = field(default="", repr=False)
    #: File holding a Grafana service-account token (GRAFANA_TOKEN_FILE), read when publishing.
    grafana_token_file: str = ""
    slack_webhook_url: str = ""
    incidents_dir: Path = Path("/var/lib/aiops/incidents")
    runbooks_dir: Path = _DEFAULT_RUNBOOKS
    bedrock_model_id: str = ""
    aws_region: str = ""
    #: The service whose logs and traces are read for context.
    watched_service: str = "genai-service"
    #: Every outbound call is short: a slow backend must not hold an incident back.
    backend_timeout_s: float = 3.0
    #: How far before the alert started the "normal" baseline is taken from.
    baseline_s: float = 900.0
    bedrock_timeout_s: float = 20.0
    #: Anomaly scores (aiops.anomaly): every interval, over the lookback; 0 turns them off.
    anomaly_interval_s: float = 60.0
    anomaly_lookback_s: float = 3 * 3600.0
    # Telemetry identity, read by the shared telemetry set-up.
    service_name: str = "aiops"
    service_namespace: str = "genai-lab"
    environment: str = "lab"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            prometheus_url=_env("PROMETHEUS_URL", cls.prometheus_url).rstrip("/"),
            loki_url=_env("LOKI_URL", cls.loki_url).rstrip("/"),
            tempo_url=_env("TEMPO_URL", cls.tempo_url).rstrip("/"),
            grafana_url=_env("GRAFANA_URL").rstrip("/"),
            grafana_public_url=_env("GRAFANA_PUBLIC_URL", cls.grafana_public_url).rstrip("/"),
            grafana_token=_env("GRAFANA_TOKEN"),
            grafana_user=_env("GRAFANA_USER"),
            grafana_password=_env("GRAFANA_PASSWORD"),
            webhook_token=_env("AIOPS_WEBHOOK_TOKEN"),
            grafana_token_file=_env("GRAFANA_TOKEN_FILE"),
            slack_webhook_url=_env("SLACK_WEBHOOK_URL"),
            incidents_dir=Path(_env("INCIDENTS_DIR", str(cls.incidents_dir))),
            runbooks_dir=Path(_env("RUNBOOKS_DIR", str(_DEFAULT_RUNBOOKS))),
            bedrock_model_id=_env("BEDROCK_MODEL_ID"),
            aws_region=_env("AWS_REGION") or _env("AWS_DEFAULT_REGION"),
            watched_service=_env("AIOPS_WATCHED_SERVICE", cls.watched_service),
            backend_timeout_s=_float("AIOPS_BACKEND_TIMEOUT_S", cls.backend_timeout_s),
            baseline_s=_float("AIOPS_BASELINE_S", cls.baseline_s),
            bedrock_timeout_s=_float("AIOPS_BEDROCK_TIMEOUT_S", cls.bedrock_timeout_s),
            anomaly_interval_s=_float("AIOPS_ANOMALY_INTERVAL_S", cls.anomaly_interval_s),
            anomaly_lookback_s=_float("AIOPS_ANOMALY_LOOKBACK_S", cls.anomaly_lookback_s),
            service_name=_env("OTEL_SERVICE_NAME", "aiops") or "aiops",
            service_namespace=_env("SERVICE_NAMESPACE", cls.service_namespace),
            environment=_env("DEPLOYMENT_ENVIRONMENT", cls.environment),
        )
