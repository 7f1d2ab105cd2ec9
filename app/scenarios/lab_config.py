"""Where the lab's services answer and which admin token to use, from the environment and .env.

The environment wins over .env, so `GENAI_SERVICE_URL=... make chaos` reaches a native service.
The lab publishes neither Prometheus nor Alertmanager (their APIs take unauthenticated writes;
README "URLs and ports"), so both are read through Grafana's datasource proxy unless
PROMETHEUS_URL / ALERTMANAGER_URL name one (a native one, or one published with `make up
PUBLISH=...`). Parsing is pure; only read_dotenv touches the disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def parse_dotenv(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blanks and # comments skipped; surrounding quotes removed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def read_dotenv(path: Path) -> dict[str, str]:
    return parse_dotenv(path.read_text()) if path.is_file() else {}


def grafana_datasource_url(grafana_url: str, uid: str) -> str:
    """Grafana's datasource proxy for one provisioned datasource: the backend's own API under
    it, with Grafana's login in front and (for Prometheus and Loki) no writes forwarded."""
    return f"{grafana_url.rstrip('/')}/api/datasources/proxy/uid/{uid}"


@dataclass(frozen=True)
class LabConfig:
    service_url: str
    admin_token: str
    locust_url: str
    grafana_url: str
    prometheus_url: str
    alertmanager_url: str
    aiops_url: str
    grafana_user: str
    grafana_password: str
    api_key: str = ""

    @classmethod
    def from_sources(cls, env: Mapping[str, str], dotenv: Mapping[str, str]) -> LabConfig:
        merged = {**dotenv, **{k: v for k, v in env.items() if v != ""}}
        host = merged.get("BIND_ADDRESS", "127.0.0.1")
        if host in ("0.0.0.0", ""):  # noqa: S104 - a bind address, not what we connect to
            host = "127.0.0.1"

        def url(var: str, port_var: str, port: int) -> str:
            return merged.get(var) or f"http://{host}:{merged.get(port_var, port)}"

        # An admin token left as the template's placeholder is no token at all.
        token = merged.get("ADMIN_TOKEN", "")
        placeholder = token == "__generate__"  # noqa: S105 - .env.example's marker
        api_key = merged.get("LAB_API_KEY", "")
        grafana = url("GRAFANA_URL", "GRAFANA_PORT", 3000).rstrip("/")
        # Not PROMETHEUS_PORT / ALERTMANAGER_PORT: those ports are published only on request.
        prometheus = merged.get("PROMETHEUS_URL") or grafana_datasource_url(grafana, "prometheus")
        alertmanager = merged.get("ALERTMANAGER_URL") or grafana_datasource_url(
            grafana, "alertmanager"
        )
        return cls(
            service_url=url("GENAI_SERVICE_URL", "GENAI_SERVICE_PORT", 8000).rstrip("/"),
            admin_token="" if placeholder else token,
            locust_url=url("LOCUST_URL", "LOCUST_PORT", 8089).rstrip("/"),
            grafana_url=grafana,
            prometheus_url=prometheus.rstrip("/"),
            alertmanager_url=alertmanager.rstrip("/"),
            aiops_url=url("AIOPS_URL", "AIOPS_PORT", 8001).rstrip("/"),
            grafana_user=merged.get("GRAFANA_ADMIN_USER", "admin"),
            grafana_password=merged.get("GRAFANA_ADMIN_PASSWORD", ""),
            api_key="" if api_key == "__generate__" else api_key,
        )

    def via_grafana(self, url: str) -> bool:
        return url == self.grafana_url or url.startswith(self.grafana_url + "/")

    def auth_for(self, url: str) -> tuple[str, str] | None:
        """Grafana's login for a URL under Grafana, and for nothing else: the admin password
        never goes to another host."""
        if self.grafana_password and self.via_grafana(url):
            return (self.grafana_user, self.grafana_password)
        return None
