"""The demo's preflight: every service it drives answers and both secrets work, checked at once.

A demo started with the lab down used to play ten minutes of failures. Each check here is one
short HTTP request (all run in parallel, each bounded by its timeout), so a missing lab is named
within seconds, one line per missing piece with the command that fixes it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from scenarios.lab_config import LabConfig

_SECRETS = ("API key", "admin token")
UP_HINT = "`make up` (or `make ps` to see which container is unhealthy)"


@dataclass(frozen=True)
class Check:
    name: str
    url: str
    fix: str
    headers: tuple[tuple[str, str], ...] = ()
    # What a non-2xx answer means for this check, by status code.
    refusals: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Result:
    check: Check
    problem: str | None
    # False when a check could not be tried because another failed; its fix would mislead.
    tried: bool = True

    @property
    def ok(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        if self.problem is None:
            return f"  ok    {self.check.name:13s} {self.check.url}"
        if not self.tried:
            return f"  MISS  {self.check.name:13s} {self.problem}"
        return f"  MISS  {self.check.name:13s} {self.problem}; fix: {self.check.fix}"


def _backend(cfg: LabConfig, name: str, url: str, env_var: str) -> Check:
    """A backend the lab does not publish: read through Grafana's datasource proxy with
    Grafana's login (or at env_var when that is set)."""
    auth = cfg.auth_for(url)
    if not cfg.via_grafana(url):
        return Check(name, url + "/-/ready", f"{UP_HINT}, or set {env_var}")
    headers: tuple[tuple[str, str], ...] = ()
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers = (("Authorization", f"Basic {token}"),)
    refused = "Grafana refused its login (GRAFANA_ADMIN_PASSWORD from .env)"
    return Check(
        name,
        url + "/-/ready",
        f"{UP_HINT}; it is read through Grafana, so check GRAFANA_ADMIN_PASSWORD, or set {env_var}",
        headers=headers,
        refusals=((401, refused), (403, refused)),
    )


def checks(cfg: LabConfig) -> list[Check]:
    """What the demo touches: Locust (load), the service (faults), Prometheus, Alertmanager
    (alerts), Grafana (annotations, the screens) and aiops (the incident)."""
    native = "`make run` (native) or " + UP_HINT
    token_fix = (
        "set ADMIN_TOKEN to the service's value (it is in .env; `make run` reads it too)"
        if cfg.admin_token
        else "`make up` writes ADMIN_TOKEN into .env (`make run` reads it there), or export it"
    )
    key_fix = (
        "set LAB_API_KEY to the service's value (it is in .env)"
        if cfg.api_key
        else "`make up` writes LAB_API_KEY into .env, or export it"
    )
    return [
        Check("genai-service", cfg.service_url + "/healthz", native),
        Check(
            "API key",
            cfg.service_url + "/v1/models",
            key_fix,
            headers=(("Authorization", f"Bearer {cfg.api_key}"),) if cfg.api_key else (),
            refusals=((401, "LAB_API_KEY is not accepted by the service (HTTP 401)"),),
        ),
        Check(
            "admin token",
            cfg.service_url + "/admin/faults",
            token_fix,
            headers=(("Authorization", f"Bearer {cfg.admin_token}"),) if cfg.admin_token else (),
            refusals=(
                (401, "no admin token was sent (HTTP 401)"),
                (403, "the admin API refused the token (HTTP 403)"),
            ),
        ),
        Check("Locust", cfg.locust_url + "/stats/requests", UP_HINT + ", or set LOCUST_URL"),
        _backend(cfg, "Prometheus", cfg.prometheus_url, "PROMETHEUS_URL"),
        _backend(cfg, "Alertmanager", cfg.alertmanager_url, "ALERTMANAGER_URL"),
        Check("Grafana", cfg.grafana_url + "/api/health", UP_HINT + ", or set GRAFANA_URL"),
        Check("aiops", cfg.aiops_url + "/healthz", UP_HINT + " (or `make run-aiops`)"),
    ]


def _error_message(response: httpx.Response) -> str:
    """The service's own reason (OpenAI error shape), so "admin API disabled" reads as that."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:200]
    return ""


def probe(check: Check, client: httpx.Client) -> Result:
    try:
        r = client.get(check.url, headers=dict(check.headers))
    except httpx.HTTPError as exc:
        return Result(check, f"does not answer at {check.url} ({type(exc).__name__})")
    if r.is_success:
        return Result(check, None)
    said = _error_message(r)
    known = dict(check.refusals).get(r.status_code)
    problem = known or f"{check.url} answered HTTP {r.status_code}"
    return Result(check, f"{problem}: {said}" if said else problem)


def run(
    cfg: LabConfig,
    *,
    timeout_s: float = 3.0,
    client_factory: Callable[[float], httpx.Client] | None = None,
) -> list[Result]:
    todo = checks(cfg)
    make = client_factory or (lambda t: httpx.Client(timeout=t))
    with make(timeout_s) as client, ThreadPoolExecutor(max_workers=len(todo)) as pool:
        results = list(pool.map(lambda c: probe(c, client), todo))
    if results[0].ok:
        return results
    # With the service down the secrets cannot be tried; say so instead of three connect errors.
    out = []
    for r in results:
        if r.check.name not in _SECRETS:
            out.append(r)
        elif r.check.headers:
            out.append(Result(r.check, f"not checked: {todo[0].name} does not answer", False))
        else:
            out.append(Result(r.check, "not set"))
    return out


def report(results: Sequence[Result]) -> str:
    missing = [r for r in results if not r.ok]
    head = (
        "preflight: the lab is ready"
        if not missing
        else f"preflight: {len(missing)} of {len(results)} checks failed; the demo did not start"
    )
    return "\n".join([head, *(r.line() for r in results)])
