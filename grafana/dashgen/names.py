"""Shared names: datasource uids, dashboard uids, label sets, routes, template variables.

The values follow ../shared/design/architecture.md and the metric catalogue
(app/lab_telemetry/catalogue.yaml).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = ROOT / "grafana" / "dashboards"
RULES_DIR = ROOT / "prometheus" / "rules"
SLO_RULES_FILE = RULES_DIR / "slo.yml"

# Grafana datasource uids (architecture.md, "Names several issues share").
PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"
TEMPO_UID = "tempo"

# Fixed dashboard uids: alerts name them in their `dashboard` annotation.
DASH_OVERVIEW = "genai-service-overview"
DASH_GENAI = "genai-models"
DASH_FINOPS = "genai-finops"
DASH_SLO = "genai-slos"
DASH_LOGS_TRACES = "genai-logs-traces"
DASH_PIPELINE = "genai-pipeline"
DASH_SECURITY = "genai-security"  # grafana/dashgen/security.py
DASH_USER_COST = "genai-user-cost"  # grafana/dashgen/user_cost.py
DASHBOARD_UIDS = (
    DASH_OVERVIEW,
    DASH_GENAI,
    DASH_FINOPS,
    DASH_SLO,
    DASH_LOGS_TRACES,
    DASH_PIPELINE,
    DASH_SECURITY,
    DASH_USER_COST,
)

# Resource labels every service series carries (catalogue resource_labels) that identify a
# service; recording rules aggregate to exactly these.
SERVICE_LABELS = ("deployment_environment_name", "service_namespace", "service_name")
BY_SERVICE = ", ".join(SERVICE_LABELS)

# The GenAI routes the availability SLO covers, and the prompt route of the latency SLO.
CHAT_ROUTE = "/v1/chat/completions"
EMBEDDINGS_ROUTE = "/v1/embeddings"
SLO_ROUTES_RE = f"{CHAT_ROUTE}|{EMBEDDINGS_ROUTE}"

# The shared template variables: name -> the label it filters.
VARIABLES = {
    "environment": "deployment_environment_name",
    "service": "service_name",
    "model": "gen_ai_request_model",
    "tenant": "tenant_id",
}
# What each variable becomes when "All" is selected (Grafana's allValue). Loki refuses a stream
# selector whose matchers all accept the empty string ("queries require at least one regexp or
# equality matcher that does not have an empty-compatible value"), so the variables used in
# LOKI_SEL match "any non-empty value"; every series and stream of the lab carries both labels
# (resource attributes). model and tenant keep ".*": they also match series without the label.
ALL_VALUES = {
    "environment": ".+",
    "service": ".+",
    "model": ".*",
    "tenant": ".*",
}
# Selector fragments for PromQL in dashboards.
SVC_SEL = 'deployment_environment_name=~"$environment", service_name=~"$service"'
# Firing alerts of the selected services plus the alerts that name no service or environment
# (pipeline alerts: OTLPIngestionFailures, TargetDown): the empty alternative keeps those under
# any selection, which ".+" alone would hide.
ALERTS_SEL = 'deployment_environment_name=~"$environment|", service_name=~"$service|"'
MODEL_SEL = 'gen_ai_request_model=~"$model"'
TENANT_SEL = 'tenant_id=~"$tenant"'
# Loki stream selector for the service's logs (service_name is a Loki index label).
LOKI_SEL = '{deployment_environment_name=~"$environment", service_name=~"$service"}'
