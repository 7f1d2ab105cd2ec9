"""The failure scenarios a presenter can inject, as fault sets for the service's admin API.

A scenario is a name, the body `PUT /admin/faults` takes, and what it should look like on the
dashboards, so the CLI, the seeded scheduler and the demo all tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass

from genai_service.faults import Faults


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: Faults
    summary: str
    expect: str  # what the audience should see, printed when the scenario starts


HEALTHY = Faults()

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "provider-latency",
            Faults(latency_ms=1500.0),
            "The model provider answers, but 1.5 s slower on every call.",
            "p95 latency and time to first token climb; error rate stays flat.",
        ),
        Scenario(
            "provider-throttling",
            Faults(error_rate=0.3, error_type="throttled"),
            "The provider rejects 30% of calls with rate-limit errors (HTTP 429).",
            "429s by model and tenant; error budget burns slowly; retries visible in traces.",
        ),
        Scenario(
            "provider-outage",
            Faults(outage=True, error_type="unavailable"),
            "The provider is down: every model call fails (HTTP 503); health checks still pass.",
            "Availability SLO collapses, the fast burn-rate alert fires, AI-ops writes a summary.",
        ),
        Scenario(
            "token-inflation",
            Faults(token_inflation=4.0),
            "Responses use four times the tokens: a cost spike with no errors.",
            "Tokens per request and cost per tenant jump; the cost alert fires if it lasts.",
        ),
        Scenario(
            "error-storm",
            Faults(error_rate=0.6, error_type="internal", latency_ms=300.0),
            "Mixed slowness and internal errors on 60% of calls.",
            "5xx rate and latency rise together; error logs and failed traces pile up.",
        ),
        Scenario(
            "recovery",
            HEALTHY,
            "All faults cleared: the provider is healthy again.",
            "Error rate and latency return to baseline; firing alerts resolve.",
        ),
    )
}

# Scenarios the scheduler may pick: every failure; recovery is what it puts between them.
FAILURE_SCENARIOS: tuple[str, ...] = tuple(n for n in SCENARIOS if n != "recovery")


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise KeyError(f"unknown scenario {name!r}; known: {known}") from None
