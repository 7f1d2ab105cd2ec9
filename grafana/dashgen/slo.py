"""The three SLOs and their multiwindow, multi-burn-rate rules (Google SRE workbook, ch. 5).

One definition feeds both prometheus/rules/slo.yml (recording + alert rules) and the SLO
dashboard, so objectives and windows cannot drift apart.

Burn rate = (bad fraction over a window) / (error budget). For the cost SLO the "bad fraction" is
the mean cost per prompt and the "budget" is the target cost per prompt: a burn rate of 1 spends
exactly the allowed dollars per prompt, 14.4 would spend a 30-day allowance in about 2 days,
exactly as for an error budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from dashgen.names import (
    BY_SERVICE,
    CHAT_ROUTE,
    DASH_SLO,
    SLO_ROUTES_RE,
)
from dashgen.runbooks import runbook_url
from dashgen.yamlout import BlockDumper

# SLO period and the windows recorded for alerting (workbook table 5-8) and reporting.
PERIOD = "30d"
ALERT_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
LATENCY_THRESHOLD_S = 1.5  # the catalogue's HTTP buckets include 1.5 for this SLO


@dataclass(frozen=True)
class BurnCondition:
    long: str
    short: str
    factor: float


# Workbook ch. 5, "Multiwindow, Multi-Burn-Rate Alerts": 2% of a 30-day budget in 1 h and 5% in
# 6 h page; 10% in 1 d and 10% in 3 d open a ticket.
FAST = (BurnCondition("1h", "5m", 14.4), BurnCondition("6h", "30m", 6))
SLOW = (BurnCondition("1d", "2h", 3), BurnCondition("3d", "6h", 1))


@dataclass(frozen=True)
class SLO:
    name: str  # label value slo="...", and its alerts' category
    title: str
    objective_text: str
    budget: float  # allowed bad fraction (or dollars per prompt for cost)
    sli_record: str = "slo:sli_error:ratio_rate{w}"  # per window, {w} is the window

    @property
    def alert_prefix(self) -> str:  # AvailabilityFastBurn, ...
        return self.name.capitalize()

    def ratio_expr(self, window: str) -> str:
        raise NotImplementedError


def _rate_by_service(metric: str, window: str, selector: str = "") -> str:
    """`sum by (service) (rate(metric{selector}[window]))`, the form every SLI ratio is built of."""
    series = f"{metric}{{{selector}}}" if selector else metric
    return f"sum by ({BY_SERVICE}) (rate({series}[{window}]))"


_REQUESTS = "http_server_request_duration_seconds_count"


@dataclass(frozen=True)
class AvailabilitySLO(SLO):
    def ratio_expr(self, window: str) -> str:
        sel = f'http_route=~"{SLO_ROUTES_RE}"'
        total = _rate_by_service(_REQUESTS, window, sel)
        failed = _rate_by_service(_REQUESTS, window, f'{sel}, http_response_status_code=~"5.."')
        # A 5xx series exists only after the first 5xx: "or total * 0" keeps the ratio at 0
        # instead of absent while nothing has failed.
        return f"(\n  {failed}\n  or\n  {total} * 0\n)\n/\n{total}"


@dataclass(frozen=True)
class LatencySLO(SLO):
    def ratio_expr(self, window: str) -> str:
        route = f'http_route="{CHAT_ROUTE}"'
        fast = _rate_by_service(
            "http_server_request_duration_seconds_bucket",
            window,
            f'{route}, le="{LATENCY_THRESHOLD_S}"',
        )
        return f"1 - (\n  {fast}\n  /\n  {_rate_by_service(_REQUESTS, window, route)}\n)"


@dataclass(frozen=True)
class CostSLO(SLO):
    def ratio_expr(self, window: str) -> str:
        cost = _rate_by_service("genai_lab_cost_usd_total", window)
        return f"{cost}\n/\n{_rate_by_service('genai_lab_prompts_total', window)}"


SLOS: tuple[SLO, ...] = (
    AvailabilitySLO(
        name="availability",
        title="Availability",
        objective_text="99.5% of chat and embeddings requests do not fail with a 5xx",
        budget=0.005,
    ),
    LatencySLO(
        name="latency",
        title="Latency",
        objective_text="99% of prompts (POST /v1/chat/completions) complete within 1.5 s",
        budget=0.01,
    ),
    CostSLO(
        name="cost",
        title="Cost per prompt",
        objective_text="prompts cost under $0.05 on average",
        budget=0.05,
        sli_record="slo:cost_per_prompt_usd:ratio_rate{w}",
    ),
)

BURN_RATE = "slo:burn_rate:rate{w}"
BUDGET_REMAINING = "slo:error_budget_remaining:ratio"


def runbook(alert: str) -> str:
    return runbook_url(alert)


def _record(record: str, expr: str, slo: SLO) -> dict[str, Any]:
    return {"record": record, "expr": expr, "labels": {"slo": slo.name}}


def sli_rules(window: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for slo in SLOS:
        rec = slo.sli_record.format(w=window)
        rules.append(_record(rec, slo.ratio_expr(window), slo))
        rules.append(
            _record(
                BURN_RATE.format(w=window),
                f'{rec}{{slo="{slo.name}"}} / {slo.budget:g}',
                slo,
            )
        )
    return rules


def _burn_expr(slo: SLO, conditions: tuple[BurnCondition, ...]) -> str:
    parts = []
    for c in conditions:
        long = BURN_RATE.format(w=c.long) + f'{{slo="{slo.name}"}}'
        short = BURN_RATE.format(w=c.short) + f'{{slo="{slo.name}"}}'
        parts.append(f"({long} > {c.factor:g}\nand\n{short} > {c.factor:g})")
    return "\nor\n".join(parts)


def alert_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for slo in SLOS:
        for speed, conditions, severity in (("Fast", FAST, "critical"), ("Slow", SLOW, "warning")):
            name = f"{slo.alert_prefix}{speed}Burn"
            windows = " or ".join(f"{c.long}/{c.short} over {c.factor:g}x" for c in conditions)
            rules.append(
                {
                    "alert": name,
                    "expr": _burn_expr(slo, conditions),
                    # No `for`: the short window already confirms the burn and lets the alert
                    # reset quickly (workbook ch. 5).
                    "labels": {"severity": severity, "category": slo.name},
                    "annotations": {
                        "summary": (
                            f"{slo.title} SLO burning its error budget "
                            f"{'fast' if speed == 'Fast' else 'slowly'} on "
                            "{{ $labels.service_name }}"
                        ),
                        "description": (
                            f"SLO: {slo.objective_text}. Burn rate is "
                            '{{ $value | printf "%.1f" }}x over the long window '
                            f"({windows}) in {{{{ $labels.deployment_environment_name }}}}."
                        ),
                        "runbook_url": runbook(name),
                        "dashboard": DASH_SLO,
                    },
                }
            )
    return rules


def rule_groups() -> dict[str, Any]:
    sli: list[dict[str, Any]] = []
    for w in ALERT_WINDOWS:
        sli.extend(sli_rules(w))
    budget: list[dict[str, Any]] = []
    for slo in SLOS:
        rec = slo.sli_record.format(w=PERIOD)
        budget.append(_record(rec, slo.ratio_expr(PERIOD), slo))
        budget.append(
            _record(BUDGET_REMAINING, f'1 - ({rec}{{slo="{slo.name}"}} / {slo.budget:g})', slo)
        )
    return {
        "groups": [
            {"name": "slo-sli", "rules": sli},
            # 30-day ranges are costly: evaluate them once a minute.
            {"name": "slo-budget", "interval": "1m", "rules": budget},
            {"name": "slo-alerts", "rules": alert_rules()},
        ]
    }


HEADER = (
    "# GENERATED by `make dashboards` from grafana/dashgen/slo.py: edit the Python, not this.\n"
    "# SLOs as multiwindow, multi-burn-rate rules (Google SRE workbook, chapter 5):\n"
    + "".join(f"#   {s.name}: {s.objective_text} (budget {s.budget:g})\n" for s in SLOS)
    + "# slo:burn_rate:rate<window> = bad fraction / budget; fast burn pages, slow burn tickets.\n"
)


def render_rules() -> str:
    body = yaml.dump(rule_groups(), Dumper=BlockDumper, sort_keys=False, width=1000)
    return HEADER + body
