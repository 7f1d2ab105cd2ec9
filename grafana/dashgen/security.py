"""The Security dashboard: guardrail signals from app/genai_service/guardrails.

Authentication failures, rate limits and budgets per tenant, prompt-injection verdicts and
scores, PII found in prompts, and the security events themselves in Loki (one schema: event
type, severity, action, tenant, request id; never the prompt or the key). Its uid is the
`dashboard` annotation of the alerts in prometheus/rules/security.yml.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from dashgen.common import (
    RATE,
    bars,
    graph,
    log_panel,
    loki_graph,
    new_dashboard,
    prom,
    row,
    single_stat,
    trace_search,
)
from dashgen.names import DASH_SECURITY, LOKI_SEL, SVC_SEL, TENANT_SEL

EVENTS = "genai_lab_security_events_total"
LIMITED = "genai_lab_requests_limited_total"
PII = "genai_lab_security_pii_detections_total"
BUDGET = "genai_lab_tenant_budget_remaining"
SCORE = "genai_lab_guardrails_injection_score"
SEL = f"{SVC_SEL}, {TENANT_SEL}"
# Auth failures are never attributed to a tenant (tenant_id="unknown"), so the tenant
# variable does not filter them.
AUTH_SEL = f'{SVC_SEL}, event_type="auth_failed"'
Steps = tuple[tuple[float | None, str], ...]
QUIET: Steps = ((None, "green"), (1, "orange"), (20, "red"))


def _last_hour(title: str, expr: str, steps: Steps = QUIET, description: str = ""):
    """One of the row of counts over the last hour."""
    return single_stat(title, [prom(expr)], steps=steps, description=description, w=4, decimals=0)


def _count_1h(metric: str, sel: str) -> str:
    return f"sum(increase({metric}{{{sel}}}[1h])) or vector(0)"


def security() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_SECURITY,
        "GenAI security",
        "Guardrails: API-key failures, rate limits and daily budgets per tenant, prompt-injection "
        "verdicts and scores, PII found in prompts, and the security events in Loki (counts "
        "and types only: no prompt text, no keys).",
        tags=["security", "guardrails"],
    )
    return (
        d.with_row(row("Last hour"))
        .with_panel(
            _last_hour(
                "Auth failures (1h)",
                _count_1h(EVENTS, AUTH_SEL),
                ((None, "green"), (10, "orange"), (100, "red")),
                "401s for a missing, malformed or unknown API key.",
            )
        )
        .with_panel(
            _last_hour(
                "Injections blocked (1h)",
                _count_1h(EVENTS, f'{SEL}, event_type="injection_blocked"'),
            )
        )
        .with_panel(
            _last_hour(
                "Injections flagged (1h)",
                _count_1h(EVENTS, f'{SEL}, event_type="injection_flagged"'),
                description="Scored over the flag threshold but under the block threshold: "
                "served, and logged.",
            )
        )
        .with_panel(
            _last_hour(
                "Rate limited (1h)",
                _count_1h(LIMITED, f'{SEL}, limit_reason=~"requests|tokens"'),
                ((None, "green"), (10, "orange"), (300, "red")),
            )
        )
        .with_panel(
            _last_hour(
                "Over budget (1h)",
                _count_1h(LIMITED, f'{SEL}, limit_reason="budget"'),
                description="Requests refused because the tenant spent its daily budget.",
            )
        )
        .with_panel(
            _last_hour(
                "PII detections (1h)",
                _count_1h(PII, SEL),
                ((None, "green"), (10, "orange"), (50, "red")),
            )
        )
        .with_panel(
            graph(
                "Security events by type",
                [
                    prom(
                        f"sum by (event_type) (rate({EVENTS}{{{SVC_SEL}}}[{RATE}]))",
                        "{{event_type}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                description="Every guardrail decision that is not a plain pass, per second.",
            )
        )
        .with_panel(
            graph(
                "Security events by action",
                [
                    prom(
                        f"sum by (action) (rate({EVENTS}{{{SVC_SEL}}}[{RATE}]))",
                        "{{action}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                description="rejected = 401, throttled = 429, blocked = 400, flagged and "
                "observed = served.",
            )
        )
        .with_row(row("Rate limits and budgets"))
        .with_panel(
            graph(
                "Limited requests by tenant and reason",
                [
                    prom(
                        f"sum by (tenant_id, limit_reason) (rate({LIMITED}{{{SEL}}}[{RATE}]))",
                        "{{tenant_id}} {{limit_reason}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                description="429s by the limit that refused them: requests or tokens per minute, "
                "or the daily budget.",
            )
        )
        .with_panel(
            bars(
                "Remaining daily budget by tenant",
                [
                    prom(
                        f"max by (tenant_id, tenant_tier) ({BUDGET}{{{SEL}}})",
                        "{{tenant_id}} ({{tenant_tier}})",
                        instant=True,
                    )
                ],
                unit="currencyUSD",
                steps=((None, "red"), (0.01, "orange"), (1, "green")),
                description="Updated on each of the tenant's requests; budgets reset at 00:00 UTC.",
            )
        )
        .with_row(row("Prompt injection"))
        .with_panel(
            graph(
                "Injection verdicts",
                [
                    prom(
                        f"sum by (guardrails_action) (rate({SCORE}_count{{{SVC_SEL}}}[{RATE}]))",
                        "{{guardrails_action}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Injection score percentiles",
                [
                    prom(
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate({SCORE}_bucket{{{SVC_SEL}}}[{RATE}])))",
                        f"p{int(q * 100)}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ],
                unit="none",
                steps=((None, "transparent"), (0.5, "orange"), (0.8, "red")),
                description="Flag threshold 0.5, block threshold 0.8 (INJECTION_*_THRESHOLD).",
                w=8,
            )
        )
        .with_panel(
            graph(
                "Flagged and blocked by tenant",
                [
                    prom(
                        f"sum by (tenant_id, event_type) "
                        f'(rate({EVENTS}{{{SEL}, event_type=~"injection_.*"}}[{RATE}]))',
                        "{{tenant_id}} {{event_type}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                w=8,
            )
        )
        .with_panel(
            trace_search(
                "Blocked requests (traces)",
                '{resource.service.name=~"$service" && '
                'span.genai_lab.guardrails.injection_action = "block"}',
                description="Server spans carry the score, the action and the signal names.",
                w=24,
                h=8,
            )
        )
        .with_row(row("PII in prompts"))
        .with_panel(
            graph(
                "PII detections by type",
                [prom(f"sum by (pii_type) (rate({PII}{{{SEL}}}[{RATE}]))", "{{pii_type}}")],
                unit="short",
                stacked=True,
                description="Found in user messages by the service's redaction detectors; the "
                "text is redacted before the model and telemetry see it.",
            )
        )
        .with_panel(
            bars(
                "PII detections by tenant (1h)",
                [
                    prom(
                        f"sum by (tenant_id) (increase({PII}{{{SEL}}}[1h]))",
                        "{{tenant_id}}",
                        instant=True,
                    )
                ],
                steps=((None, "green"), (10, "orange"), (50, "red")),
            )
        )
        .with_row(row("Security events (Loki)"))
        .with_panel(
            loki_graph(
                "Auth failures by reason",
                f"sum by (reason) "
                f'(count_over_time({LOKI_SEL} | event_type="auth_failed" [$__auto]))',
                "{{reason}}",
                description="missing, malformed or invalid key; the answer to the client is the "
                "same for all three.",
            )
        )
        .with_panel(
            loki_graph(
                "Security events by tenant",
                f'sum by (tenant_id) (count_over_time({LOKI_SEL} |= "security_event" [$__auto]))',
                "{{tenant_id}}",
            )
        )
        .with_panel(
            log_panel(
                "Security events (request_id and trace_id link to the request)",
                f'{LOKI_SEL} |= "security_event"',
            )
        )
    )
