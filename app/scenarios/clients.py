"""HTTP clients for what the scenarios drive: the service's fault controls, Locust's web API, and
the places the demo watches (Alertmanager, Grafana annotations).

Every "nothing answers" case becomes LabUnreachable with the command that would fix it, because
these run from make targets in front of an audience.
"""

from __future__ import annotations

from typing import Any

import httpx

from genai_service.faults import Faults


class LabUnreachable(RuntimeError):
    pass


class AdminRejected(RuntimeError):
    pass


def _get_json(client: httpx.Client, url: str, what: str, hint: str, **kw: Any) -> Any:
    try:
        r = client.get(url, **kw)
    except httpx.HTTPError as exc:
        raise LabUnreachable(f"{what} does not answer at {url} ({exc}). {hint}") from exc
    r.raise_for_status()
    return r.json()


def _refusal(method: str, url: str, r: httpx.Response) -> str:
    """Why the admin API said no, from the service's own error code (OpenAI error shape)."""
    try:
        error = r.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    said = f"HTTP {r.status_code}"
    if code == "admin_disabled":
        return (
            f"{method} {url} was refused ({said}): the service's admin API is disabled because "
            "the service was started without ADMIN_TOKEN. Start it with the token (`make run` "
            "reads .env; `make up` passes it to the container)."
        )
    if code == "unauthorized":
        return f"{method} {url} was refused ({said}): no admin token was sent"
    return f"{method} {url} was refused ({said}): ADMIN_TOKEN does not match the service's"


class FaultsClient:
    """The service's /admin/faults API (Bearer ADMIN_TOKEN)."""

    def __init__(self, base_url: str, admin_token: str, timeout_s: float = 10) -> None:
        if not admin_token:
            raise AdminRejected(
                "no ADMIN_TOKEN: set it in the environment or in .env (`make up` writes one)"
            )
        self.url = base_url.rstrip("/") + "/admin/faults"
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {admin_token}"}, timeout=timeout_s
        )

    def _call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            r = self._client.request(method, self.url, json=body)
        except httpx.HTTPError as exc:
            raise LabUnreachable(
                f"the GenAI service does not answer at {self.url} ({exc}). Start the lab with "
                "`make up` (Docker) or the service with `make run`, or set GENAI_SERVICE_URL."
            ) from exc
        if r.status_code in (401, 403):
            raise AdminRejected(_refusal(method, self.url, r))
        if r.status_code >= 400:
            raise AdminRejected(f"{method} {self.url} failed: HTTP {r.status_code} {r.text[:300]}")
        return r.json() if r.content else {}

    def get(self) -> dict[str, Any]:
        return self._call("GET")

    def apply(self, faults: Faults) -> dict[str, Any]:
        if not faults.active:
            return self.clear()
        return self._call("PUT", faults.as_dict())

    def clear(self) -> dict[str, Any]:
        return self._call("DELETE")

    def close(self) -> None:
        self._client.close()


class LocustClient:
    """Locust's web UI API: the running load is changed with POST /swarm."""

    HINT = "Start the lab with `make up` (Docker), run Locust with its web UI, or set LOCUST_URL."

    def __init__(self, base_url: str, timeout_s: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_s)

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = _get_json(
            self._client, self.base_url + "/stats/requests", "Locust", self.HINT
        )
        return data

    def user_count(self) -> int:
        return int(self.stats().get("user_count", 0))

    def swarm(self, users: int, spawn_rate: float) -> dict[str, Any]:
        if users < 0 or spawn_rate <= 0:
            raise ValueError("need users >= 0 and spawn_rate > 0")
        url = self.base_url + "/swarm"
        try:
            r = self._client.post(url, data={"user_count": users, "spawn_rate": spawn_rate})
        except httpx.HTTPError as exc:
            raise LabUnreachable(f"Locust does not answer at {url} ({exc}). {self.HINT}") from exc
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        if not body.get("success", False):
            raise RuntimeError(f"Locust refused the swarm request: {body.get('message')}")
        return body

    def close(self) -> None:
        self._client.close()


class Watchers:
    """Polls for the demo's evidence: a firing alert, and the AI-ops annotation in Grafana."""

    def __init__(
        self,
        alertmanager_url: str,
        grafana_url: str,
        grafana_auth: tuple[str, str] | None,
        timeout_s: float = 5,
        alertmanager_auth: tuple[str, str] | None = None,
    ) -> None:
        # alertmanager_url is Alertmanager's own API root: the lab's, through Grafana's
        # datasource proxy (with Grafana's login as alertmanager_auth), or a native one.
        self.alertmanager_url = alertmanager_url.rstrip("/")
        self.grafana_url = grafana_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_s)
        self._grafana_auth = grafana_auth
        self._alertmanager_auth = alertmanager_auth

    def firing_alerts(self) -> list[str]:
        url = self.alertmanager_url + "/api/v2/alerts"
        alerts = _get_json(
            self._client,
            url,
            "Alertmanager",
            "Is the lab up?",
            params={"active": "true"},
            auth=self._alertmanager_auth,
        )
        return sorted(
            {
                a.get("labels", {}).get("alertname", "?")
                for a in alerts
                if a.get("status", {}).get("state") == "active"
            }
        )

    def annotations_since(self, since_ms: int, alertname: str | None = None) -> list[str]:
        """First lines of the AI-ops annotations written since since_ms (for one alert)."""
        url = self.grafana_url + "/api/annotations"
        # aiops tags each annotation "aiops" plus the alert name (app/aiops/publish/grafana.py);
        # Grafana matches all the tags given, so another alert's incident does not count.
        tags = ["aiops", *([alertname] if alertname else [])]
        items = _get_json(
            self._client,
            url,
            "Grafana",
            "Is the lab up?",
            params={"from": since_ms, "limit": 50, "tags": tags},
            auth=self._grafana_auth,
        )
        return [str(a.get("text", "")).splitlines()[0][:160] for a in items if a.get("text")]

    def close(self) -> None:
        self._client.close()
