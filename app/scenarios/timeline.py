"""The stakeholder demo as data: ten minutes of beats, each with what to do, open and say.

Pure: building and printing the timeline touches nothing, so `make demo DRY_RUN=1` works
without Docker and tests read exactly what a presenter will see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scenarios.faults import SCENARIOS
from scenarios.scheduler import mmss

# Dashboard uids as grafana/dashgen/names.py fixes them (a test checks they exist).
DASHBOARD_OVERVIEW = "genai-service-overview"
DASHBOARD_SLO = "genai-slos"
DASHBOARD_COST = "genai-finops"
DASHBOARD_LOGS_TRACES = "genai-logs-traces"
# prometheus/rules/slo.yml: pages when the 1h and 5m burn rates both exceed 14.4x. With the
# outage failing ~80% of chat and embeddings (cached prompts still answer) that takes one to
# three minutes of outage, plus rule evaluation and Alertmanager's group wait.
OUTAGE_ALERT = "AvailabilityFastBurn"

BASELINE_USERS = 10
SPIKE_USERS = 60
DEMO_LENGTH_S = 600


@dataclass(frozen=True)
class SetLoad:
    users: int
    spawn_rate: float
    kind: Literal["load"] = "load"

    def describe(self) -> str:
        return f"set Locust to {self.users} users (spawn {self.spawn_rate:g}/s)"


@dataclass(frozen=True)
class Inject:
    scenario: str
    kind: Literal["inject"] = "inject"

    def describe(self) -> str:
        return f"inject scenario {self.scenario}: {SCENARIOS[self.scenario].summary}"


@dataclass(frozen=True)
class WaitForAlert:
    """Poll Alertmanager until the named alert fires, or until the next beat is due."""

    alertname: str
    kind: Literal["wait_alert"] = "wait_alert"

    def describe(self) -> str:
        return f"wait for alert {self.alertname} to fire in Alertmanager"


@dataclass(frozen=True)
class WaitForAnnotation:
    """Poll Grafana until the AI-ops incident summary for the named alert is annotated."""

    alertname: str
    kind: Literal["wait_annotation"] = "wait_annotation"

    def describe(self) -> str:
        return f"wait for the AI-ops incident summary of {self.alertname} (Grafana annotation)"


Action = SetLoad | Inject | WaitForAlert | WaitForAnnotation


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Beat:
    at_s: int
    title: str
    actions: tuple[Action, ...]
    open: tuple[Link, ...]
    say: str


@dataclass(frozen=True)
class Urls:
    grafana: str
    locust: str
    alertmanager: str
    prometheus: str

    def dashboard(self, uid: str, range_: str = "now-15m") -> str:
        return f"{self.grafana}/d/{uid}?from={range_}&to=now&refresh=10s"

    def explore(self, datasource: str) -> str:
        return f"{self.grafana}/explore?schemaVersion=1&panes=%7B%7D&orgId=1&ds={datasource}"

    def alerts(self) -> str:
        """Where the audience sees firing alerts: Grafana's alert groups page for the lab's
        Alertmanager (unpublished; the query names the datasource), or a native one's own UI."""
        if self.alertmanager == self.grafana or self.alertmanager.startswith(self.grafana + "/"):
            return f"{self.grafana}/alerting/groups?alertmanager=Alertmanager"
        return f"{self.alertmanager}/#/alerts"


def build(urls: Urls) -> tuple[Beat, ...]:
    overview = Link("Grafana: service overview", urls.dashboard(DASHBOARD_OVERVIEW))
    slo = Link("Grafana: SLOs and error budget", urls.dashboard(DASHBOARD_SLO, "now-30m"))
    cost = Link("Grafana: FinOps (tokens and cost)", urls.dashboard(DASHBOARD_COST))
    logs_traces = Link("Grafana: logs and traces", urls.dashboard(DASHBOARD_LOGS_TRACES))
    locust = Link("Locust", urls.locust)
    alerts = Link("Alertmanager: firing alerts", urls.alerts())
    return (
        Beat(
            0,
            "Baseline",
            (Inject("recovery"), SetLoad(BASELINE_USERS, 2)),
            (overview, locust),
            "A GenAI assistant used by three tenants: chat, streaming, embeddings, a cache. "
            "Requests, latency, time to first token, tokens and cost: all from OpenTelemetry.",
        ),
        Beat(
            90,
            "Traffic spike",
            (SetLoad(SPIKE_USERS, 20),),
            (overview, cost),
            "Six times the users in seconds. Throughput and token spend rise with it; latency "
            "holds. This is what capacity and cost look like before anything breaks.",
        ),
        Beat(
            150,
            "Back to normal load",
            (SetLoad(BASELINE_USERS, 10),),
            (overview,),
            "Load drops back. Note the cache hit ratio: repeated questions cost nothing.",
        ),
        Beat(
            180,
            "Provider outage",
            (Inject("provider-outage"),),
            (slo, overview),
            "The model provider goes down. Health checks stay green, users do not: almost every "
            "chat fails. The availability SLO's error budget starts burning fast.",
        ),
        Beat(
            240,
            "The alert fires",
            (WaitForAlert(OUTAGE_ALERT),),
            (alerts, slo),
            f"{OUTAGE_ALERT} pages on the SLO's burn rate, not on a raw error count, and "
            "carries its runbook and the dashboard to open.",
        ),
        Beat(
            360,
            "AI-ops incident summary",
            (WaitForAnnotation(OUTAGE_ALERT),),
            (slo,),
            "The alert went to the AI-ops service, which read the metrics, logs and traces and "
            "wrote an incident summary: it appears as an annotation on the SLO dashboard.",
        ),
        Beat(
            450,
            "Recovery",
            (Inject("recovery"),),
            (slo, overview),
            "The provider is back. Errors stop, the budget stops burning, the alert resolves "
            "and the annotation's end is marked.",
        ),
        Beat(
            510,
            "Follow one failed request",
            (),
            (logs_traces, Link("Grafana Explore: traces (Tempo)", urls.explore("tempo"))),
            "From a red spike to one failed trace, and from the trace to its logs in Loki by "
            "trace id. The same trace ids go to AWS X-Ray in production.",
        ),
        Beat(
            570,
            "Wrap-up",
            (SetLoad(BASELINE_USERS, 2),),
            (overview,),
            "Same code, same dashboards locally and on AWS (Managed Prometheus, X-Ray, S3). "
            "The lab keeps running at baseline load.",
        ),
    )


def validate(beats: Sequence[Beat], length_s: int = DEMO_LENGTH_S) -> None:
    """A broken timeline should fail in tests, not halfway through a demo."""
    times = [b.at_s for b in beats]
    if times != sorted(times) or len(set(times)) != len(times):
        raise ValueError(f"beats must be in strictly increasing time order: {times}")
    if not beats or beats[0].at_s != 0 or beats[-1].at_s >= length_s:
        raise ValueError("the demo must start at 0 and its last beat must be before the end")
    for b in beats:
        for a in b.actions:
            if isinstance(a, Inject) and a.scenario not in SCENARIOS:
                raise ValueError(f"beat {b.title!r} injects unknown scenario {a.scenario!r}")


def render(beats: Sequence[Beat], length_s: int = DEMO_LENGTH_S, time_scale: float = 1.0) -> str:
    scaled = "" if time_scale == 1 else f" (time scale {time_scale:g})"
    lines = [f"Stakeholder demo: {mmss(length_s * time_scale)}{scaled}, {len(beats)} beats", ""]
    for b in beats:
        lines.append(f"[{mmss(b.at_s * time_scale)}] {b.title}")
        for a in b.actions:
            lines.append(f"    do:   {a.describe()}")
        for link in b.open:
            lines.append(f"    open: {link.label}  {link.url}")
        lines.append(f"    say:  {b.say}")
        lines.append("")
    lines.append(f"[{mmss(length_s * time_scale)}] End. Load stays at baseline; faults cleared.")
    return "\n".join(lines)
