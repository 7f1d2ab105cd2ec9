"""The six lab dashboards. PromQL uses only catalogue series, this lab's recording rules and the
documented external names in dashgen.catalogue.EXTERNAL_METRICS (tests enforce it)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from dashgen import slo
from dashgen.common import (
    RATE,
    bars,
    graph,
    log_panel,
    loki_graph,
    loki_table,
    new_dashboard,
    note,
    prom,
    prom_table,
    row,
    service_graph,
    single_stat,
    trace_search,
)
from dashgen.names import (
    DASH_FINOPS,
    DASH_GENAI,
    DASH_LOGS_TRACES,
    DASH_OVERVIEW,
    DASH_PIPELINE,
    DASH_SLO,
    LOKI_SEL,
    MODEL_SEL,
    SVC_SEL,
    TENANT_SEL,
)
from dashgen.security import security  # the guardrails helper's dashboard
from dashgen.user_cost import user_cost  # cost by user and model, from the call records

HTTP = "http_server_request_duration_seconds"
GENAI_SEL = f"{SVC_SEL}, {MODEL_SEL}"
TENANT_FULL_SEL = f"{SVC_SEL}, {MODEL_SEL}, {TENANT_SEL}"
# Recording-rule series carry only the service labels (and model / tenant where kept).
REC_SEL = SVC_SEL

Steps = tuple[tuple[float | None, str], ...]
CODE_5XX = 'http_response_status_code=~"5.."'
EXC = "genai_lab_exceptions_unhandled_total"
PROMPTS = "genai_lab_prompts_total"
COST = "genai_lab_cost_usd_total"
COST_REC = "genai_lab_cost_usd"
BUDGET = "genai_lab_budget_daily_usd"
CACHE = "genai_lab_cache_requests_total"
DROPPED = "genai_lab_telemetry_dropped_total"
MODEL = "gen_ai_request_model"
TTFT = "gen_ai_client_operation_time_to_first_chunk_seconds"
USD = {"unit": "currencyUSD", "decimals": 2}
# Saturation and availability (lab_telemetry.runtime; blackbox exporter probes).
PROBE = "probe_success"
ACTIVE = "http_server_active_requests"
LOOP_LAG = "genai_lab_event_loop_lag_seconds"
RSS = "process_memory_usage_bytes"
MEM_LIMIT = "genai_lab_process_memory_limit_bytes"
CPU = "process_cpu_time_seconds_total"
GC = "cpython_gc_collections_total"
THREADS = "process_thread_count"
FDS = "process_open_file_descriptor_count"
ANOMALY = "aiops_anomaly_score"


def rsum(metric: str, sel: str, by: str = "", rng: str = RATE) -> str:
    """sum [by (...)] (rate(metric{sel}[rng]))"""
    agg = f"sum by ({by})" if by else "sum"
    return f"{agg} (rate({metric}{{{sel}}}[{rng}]))"


def _quantile(q: float, metric: str, sel: str, by: str = "") -> str:
    by_labels = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, sum by ({by_labels}) (rate({metric}_bucket{{{sel}}}[{RATE}])))"


def service_overview() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_OVERVIEW,
        "GenAI service overview",
        "RED by route, latency percentiles with exemplars (click through to the trace), status "
        "codes, saturation (memory, CPU, event-loop lag, in-flight requests) and health probes, "
        "and the top errors from Loki with links to their traces.",
        tags=["service", "red"],
    )
    err_ratio = (
        f'(sum(rate({HTTP}_count{{{SVC_SEL}, http_response_status_code=~"5.."}}[{RATE}])) '
        f"or vector(0)) / sum(rate({HTTP}_count{{{SVC_SEL}}}[{RATE}]))"
    )
    d = (
        d.with_row(row("Rate, errors, duration"))
        .with_panel(
            single_stat(
                "Requests / s",
                [prom(f"sum(rate({HTTP}_count{{{SVC_SEL}}}[{RATE}]))")],
                unit="reqps",
                decimals=2,
            )
        )
        .with_panel(
            single_stat(
                "5xx ratio",
                [prom(err_ratio)],
                unit="percentunit",
                steps=((None, "green"), (0.005, "orange"), (0.01, "red")),
                description="All routes including /crash, which fails on purpose.",
                decimals=2,
            )
        )
        .with_panel(
            single_stat(
                "p95 latency",
                [prom(_quantile(0.95, HTTP, SVC_SEL))],
                unit="s",
                steps=((None, "green"), (1, "orange"), (1.5, "red")),
                decimals=3,
            )
        )
        .with_panel(
            single_stat(
                "Unhandled exceptions (1h)",
                [prom(f"sum(increase({EXC}{{{SVC_SEL}}}[1h])) or vector(0)")],
                steps=((None, "green"), (1, "orange"), (20, "red")),
                decimals=0,
            )
        )
        .with_panel(
            graph(
                "Requests by route",
                [
                    prom(
                        f"sum by (http_route) (rate({HTTP}_count{{{SVC_SEL}}}[{RATE}]))",
                        "{{http_route}}",
                    )
                ],
                unit="reqps",
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "5xx by route",
                [
                    prom(
                        rsum(f"{HTTP}_count", f"{SVC_SEL}, {CODE_5XX}", "http_route"),
                        "{{http_route}}",
                    )
                ],
                unit="reqps",
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Latency percentiles (exemplars link to traces)",
                [
                    prom(_quantile(0.5, HTTP, SVC_SEL), "p50", exemplar=True),
                    prom(_quantile(0.95, HTTP, SVC_SEL), "p95", exemplar=True),
                    prom(_quantile(0.99, HTTP, SVC_SEL), "p99", exemplar=True),
                ],
                unit="s",
                steps=((None, "transparent"), (1.5, "red")),
            )
        )
        .with_panel(
            graph(
                "p95 latency by route",
                [
                    prom(
                        f'service_route:{HTTP}:p95_5m{{{REC_SEL}, http_route!="/crash"}}',
                        "{{http_route}}",
                    )
                ],
                unit="s",
                description="Recording rule service_route:<http duration>:p95_5m.",
                steps=((None, "transparent"), (1.5, "red")),
            )
        )
        .with_panel(
            graph(
                "Status codes",
                [
                    prom(
                        rsum(f"{HTTP}_count", SVC_SEL, "http_response_status_code"),
                        "{{http_response_status_code}}",
                    )
                ],
                unit="reqps",
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Rejected requests by reason (4xx)",
                [
                    prom(
                        rsum("genai_lab_requests_rejected_total", SVC_SEL, "reject_reason"),
                        "{{reject_reason}}",
                    )
                ],
                unit="reqps",
                stacked=True,
            )
        )
        .with_row(row("Saturation, availability and anomalies"))
        .with_panel(
            graph(
                "Health probes (1 up, 0 down)",
                [prom(f'min by (service_name) ({PROBE}{{job="blackbox"}})', "{{service_name}}")],
                description="Blackbox exporter probes of each health endpoint (ServiceDown, "
                "EndpointDown). The services push their metrics, so this is what sees them die.",
                w=8,
                min_val=None,
                steps=((None, "red"), (1, "transparent")),
            )
        )
        .with_panel(
            graph(
                "In-flight requests",
                [prom(f"sum by (service_name) ({ACTIVE}{{{SVC_SEL}}})", "{{service_name}}")],
                description="Requests being served right now (HighRequestQueue above 50).",
                w=8,
                steps=((None, "transparent"), (50, "red")),
            )
        )
        .with_panel(
            graph(
                "Event-loop lag (worst in the last minute)",
                [prom(f"max by (service_name) ({LOOP_LAG}{{{SVC_SEL}}})", "{{service_name}}")],
                unit="s",
                description="How late the asyncio loop wakes a sleeping task; every request "
                "waits this long too (EventLoopLag above 0.1 s).",
                w=8,
                steps=((None, "transparent"), (0.1, "red")),
            )
        )
        .with_panel(
            graph(
                "Memory: resident vs container limit",
                [
                    prom(f"max by (service_name) ({RSS}{{{SVC_SEL}}})", "{{service_name}} RSS"),
                    prom(
                        f"max by (service_name) ({MEM_LIMIT}{{{SVC_SEL}}})",
                        "{{service_name}} limit",
                    ),
                ],
                unit="bytes",
                description="HighMemory fires above 85% of the limit for 5 minutes.",
                w=8,
            )
        )
        .with_panel(
            graph(
                "CPU (cores busy)",
                [
                    prom(
                        f"sum by (service_name) (rate({CPU}{{{SVC_SEL}}}[{RATE}]))",
                        "{{service_name}}",
                    )
                ],
                description="process.cpu.time, user + system.",
                w=8,
            )
        )
        .with_panel(
            graph(
                "GC collections / s, threads, open files",
                [
                    prom(
                        f"sum by (service_name, cpython_gc_generation) "
                        f"(rate({GC}{{{SVC_SEL}}}[{RATE}]))",
                        "{{service_name}} gen {{cpython_gc_generation}} GC/s",
                    ),
                    prom(
                        f"max by (service_name) ({THREADS}{{{SVC_SEL}}})",
                        "{{service_name}} threads",
                    ),
                    prom(f"max by (service_name) ({FDS}{{{SVC_SEL}}})", "{{service_name}} fds"),
                ],
                description="A climbing count of threads or file descriptors is a leak.",
                w=8,
            )
        )
        .with_panel(
            graph(
                "Anomaly score by signal (aiops)",
                [
                    prom(
                        f"max by (anomaly_service, anomaly_signal) ({ANOMALY}"
                        '{deployment_environment_name=~"$environment", '
                        'anomaly_service=~"$service"})',
                        "{{anomaly_service}} {{anomaly_signal}}",
                    )
                ],
                description="Robust z-score of latency p95, 5xx ratio, cost and token rate "
                "against the last 3 hours, 0..1; AnomalyScoreHigh above 0.8 for 5 minutes.",
                w=24,
                min_val=0,
                steps=((None, "transparent"), (0.8, "red")),
            )
        )
        .with_row(row("Errors in the logs"))
        .with_panel(
            loki_table(
                "Top errors (by exception type, selected range)",
                f"topk(10, sum by (exception_type) (count_over_time({LOKI_SEL} "
                f'| detected_level=~"(?i)error|critical|fatal" [$__range])))',
                w=8,
                h=10,
            )
        )
        .with_panel(
            log_panel(
                "Error logs (trace_id links open the trace)",
                f'{LOKI_SEL} | detected_level=~"(?i)error|critical|fatal"',
                w=16,
            )
        )
    )
    return d


def genai() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_GENAI,
        "GenAI models, tokens and cost",
        "Tokens in and out by model, cost per minute and per tenant, cost per request, time to "
        "first token, cache hit ratio and provider errors by type.",
        tags=["genai"],
    )
    tok = "gen_ai_client_token_usage"
    return (
        d.with_row(row("Usage"))
        .with_panel(
            graph(
                "Tokens / s by model and type",
                [
                    prom(
                        rsum(f"{tok}_sum", GENAI_SEL, "gen_ai_request_model, gen_ai_token_type"),
                        "{{gen_ai_request_model}} {{gen_ai_token_type}}",
                    )
                ],
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Prompts / min by tenant",
                [
                    prom(
                        rsum(PROMPTS, TENANT_FULL_SEL, "tenant_id") + " * 60",
                        "{{tenant_id}}",
                    )
                ],
                stacked=True,
            )
        )
        .with_row(row("Cost"))
        .with_panel(
            graph(
                "Cost per minute by model (USD)",
                [
                    prom(
                        rsum(COST, TENANT_FULL_SEL, "gen_ai_request_model") + " * 60",
                        "{{gen_ai_request_model}}",
                    )
                ],
                unit="currencyUSD",
                stacked=True,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Cost per minute by tenant (USD)",
                [
                    prom(
                        rsum(COST, TENANT_FULL_SEL, "tenant_id") + " * 60",
                        "{{tenant_id}}",
                    )
                ],
                unit="currencyUSD",
                stacked=True,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Cost per prompt by model (USD)",
                [
                    prom(
                        rsum(COST, TENANT_FULL_SEL, "gen_ai_request_model")
                        + " / "
                        + rsum(PROMPTS, TENANT_FULL_SEL, "gen_ai_request_model"),
                        "{{gen_ai_request_model}}",
                    )
                ],
                unit="currencyUSD",
                w=8,
                steps=((None, "transparent"), (0.05, "red")),
                description="Cost SLO target: $0.05 per prompt.",
            )
        )
        .with_row(row("Latency"))
        .with_panel(
            graph(
                "Time to first token, p50 / p95 by model",
                [
                    prom(
                        _quantile(
                            0.5,
                            "gen_ai_client_operation_time_to_first_chunk_seconds",
                            GENAI_SEL,
                            "gen_ai_request_model",
                        ),
                        "p50 {{gen_ai_request_model}}",
                        exemplar=True,
                    ),
                    prom(
                        _quantile(
                            0.95,
                            "gen_ai_client_operation_time_to_first_chunk_seconds",
                            GENAI_SEL,
                            "gen_ai_request_model",
                        ),
                        "p95 {{gen_ai_request_model}}",
                        exemplar=True,
                    ),
                ],
                unit="s",
                w=8,
            )
        )
        .with_panel(
            graph(
                "Provider call duration p95 by model",
                [
                    prom(
                        _quantile(
                            0.95,
                            "gen_ai_client_operation_duration_seconds",
                            GENAI_SEL,
                            "gen_ai_request_model",
                        ),
                        "{{gen_ai_request_model}}",
                        exemplar=True,
                    )
                ],
                unit="s",
                w=8,
            )
        )
        .with_panel(
            graph(
                "Time per output chunk p95 by model",
                [
                    prom(
                        _quantile(
                            0.95,
                            "gen_ai_client_operation_time_per_output_chunk_seconds",
                            GENAI_SEL,
                            "gen_ai_request_model",
                        ),
                        "{{gen_ai_request_model}}",
                    )
                ],
                unit="s",
                w=8,
            )
        )
        .with_row(row("Cache and errors"))
        .with_panel(
            graph(
                "Cache hit ratio by model",
                [
                    prom(
                        rsum(CACHE, f'{GENAI_SEL}, cache_result="hit"', MODEL)
                        + " / "
                        + rsum(CACHE, GENAI_SEL, MODEL),
                        "{{gen_ai_request_model}}",
                    )
                ],
                unit="percentunit",
                w=8,
            )
        )
        .with_panel(
            graph(
                "Provider errors by type",
                [
                    prom(
                        rsum("genai_lab_provider_errors_total", GENAI_SEL, "error_type"),
                        "{{error_type}}",
                    )
                ],
                unit="reqps",
                stacked=True,
                w=8,
            )
        )
        .with_panel(
            graph(
                "Simulated users",
                [prom(f"sum(genai_lab_simulated_users_active{{{SVC_SEL}}})", "users")],
                w=8,
            )
        )
    )


def finops() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_FINOPS,
        "GenAI FinOps / executive",
        "Spend today against the daily budget (DAILY_BUDGET_USD), the forecast to the end of "
        "the (UTC) day, requests, error rate and the SLOs at a glance. The time range defaults "
        "to today so far.",
        tags=["finops", "executive"],
        time_from="now/d",
    )
    spend_today = f"sum(increase(genai_lab_cost_usd_total{{{SVC_SEL}}}[$__range]))"
    budget = f"max(genai_lab_budget_daily_usd{{{SVC_SEL}}})"
    forecast = (
        f"{spend_today} + sum(rate(genai_lab_cost_usd_total{{{SVC_SEL}}}[1h])) "
        "* (86400 - time() % 86400)"
    )
    d = (
        d.with_row(row("Spend"))
        .with_panel(
            single_stat(
                "Spend today (USD)",
                [prom(spend_today, instant=True)],
                unit="currencyUSD",
                decimals=2,
            )
        )
        .with_panel(
            single_stat(
                "Daily budget (USD)", [prom(budget, instant=True)], unit="currencyUSD", decimals=2
            )
        )
        .with_panel(
            single_stat(
                "Budget used today",
                [prom(f"{spend_today} / {budget}", instant=True)],
                unit="percentunit",
                steps=((None, "green"), (0.8, "orange"), (1, "red")),
                decimals=1,
            )
        )
        .with_panel(
            single_stat(
                "Forecast to end of day (USD)",
                [prom(forecast, instant=True)],
                unit="currencyUSD",
                description="Spent so far today plus the last hour's rate until UTC midnight.",
                decimals=2,
            )
        )
        .with_panel(
            graph(
                "Trailing 24 h spend against the budget",
                [
                    prom(
                        f"sum(service:genai_lab_cost_usd:increase24h{{{REC_SEL}}})",
                        "spend, last 24 h",
                    ),
                    prom(
                        f"max(service:genai_lab_budget_daily_usd:max{{{REC_SEL}}})", "daily budget"
                    ),
                ],
                unit="currencyUSD",
            )
        )
        .with_panel(
            graph(
                "Spend rate by tenant (USD / h)",
                [
                    prom(
                        "sum by (tenant_id) "
                        f"(service_model_tenant:{COST_REC}:rate5m{{{REC_SEL}, {TENANT_SEL}}})"
                        " * 3600",
                        "{{tenant_id}}",
                    )
                ],
                unit="currencyUSD",
                stacked=True,
            )
        )
        .with_row(row("Traffic and reliability"))
        .with_panel(
            single_stat(
                "Prompts / min",
                [prom(f"sum(service:genai_lab_prompts:rate5m{{{REC_SEL}}}) * 60")],
                decimals=1,
            )
        )
        .with_panel(
            single_stat(
                "Error rate (5xx, excluding /crash)",
                [prom(f"max(service:http_server_errors:ratio_rate5m{{{REC_SEL}}})")],
                unit="percentunit",
                steps=((None, "green"), (0.005, "orange"), (0.01, "red")),
                decimals=2,
            )
        )
        .with_panel(
            single_stat(
                "Cache hit ratio",
                [
                    prom(
                        rsum(CACHE, f'{SVC_SEL}, cache_result="hit"') + " / " + rsum(CACHE, SVC_SEL)
                    )
                ],
                unit="percentunit",
                decimals=1,
            )
        )
        .with_panel(
            single_stat(
                "Mean cost per prompt (USD)",
                [prom(f'max(slo:cost_per_prompt_usd:ratio_rate1h{{{REC_SEL}, slo="cost"}})')],
                unit="currencyUSD",
                steps=((None, "green"), (0.04, "orange"), (0.05, "red")),
                decimals=4,
            )
        )
        .with_row(row("SLOs at a glance"))
        .with_panel(
            bars(
                "Error budget remaining (30 d)",
                [
                    prom(
                        f"min by (slo) (slo:error_budget_remaining:ratio{{{REC_SEL}}})",
                        "{{slo}}",
                        instant=True,
                    )
                ],
                unit="percentunit",
                steps=((None, "red"), (0.25, "orange"), (0.5, "green")),
                max_val=1,
            )
        )
        .with_panel(
            bars(
                "Burn rate, last hour",
                [
                    prom(
                        f"max by (slo) (slo:burn_rate:rate1h{{{REC_SEL}}})", "{{slo}}", instant=True
                    )
                ],
                steps=((None, "green"), (1, "orange"), (14.4, "red")),
            )
        )
    )
    return d


def slos() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_SLO,
        "GenAI SLOs",
        "Availability, latency and cost SLOs (prometheus/rules/slo.yml, generated from "
        "grafana/dashgen/slo.py): SLIs, error budget remaining over 30 days and burn rates per "
        "alerting window. Fast burn (1h/5m over 14.4x, 6h/30m over 6x) pages; slow burn "
        "(1d/2h over 3x, 3d/6h over 1x) opens a ticket.",
        tags=["slo"],
        time_from="now-6h",
    )
    objectives = "\n".join(f"- **{s.title}**: {s.objective_text}" for s in slo.SLOS)
    d = d.with_panel(note(f"### Objectives (30-day period)\n{objectives}", h=4))
    for s in slo.SLOS:
        sel = f'{REC_SEL}, slo="{s.name}"'
        sli_rec = s.sli_record.format(w="5m")
        if s.name == "cost":
            sli_title, sli_expr, sli_unit = (
                f"{s.title}: mean cost per prompt (5m)",
                f"max({sli_rec}{{{sel}}})",
                "currencyUSD",
            )
            sli_steps: tuple[tuple[float | None, str], ...] = (
                (None, "transparent"),
                (s.budget, "red"),
            )
        else:
            sli_title, sli_expr, sli_unit = (
                f"{s.title} SLI: good fraction (5m)",
                f"1 - max({sli_rec}{{{sel}}})",
                "percentunit",
            )
            sli_steps = ((None, "red"), (1 - s.budget, "transparent"))
        d = (
            d.with_row(row(f"{s.title} SLO"))
            .with_panel(
                single_stat(
                    f"{s.title}: error budget left (30 d)",
                    [prom(f"min(slo:error_budget_remaining:ratio{{{sel}}})")],
                    unit="percentunit",
                    steps=((None, "red"), (0.25, "orange"), (0.5, "green")),
                    decimals=1,
                    w=6,
                    h=8,
                )
            )
            .with_panel(
                graph(
                    sli_title,
                    [prom(sli_expr, s.name)],
                    unit=sli_unit,
                    w=8,
                    min_val=None,
                    steps=sli_steps,
                )
            )
            .with_panel(
                graph(
                    f"{s.title}: burn rate per window",
                    [
                        prom(f"max(slo:burn_rate:rate{w}{{{sel}}})", w)
                        for w in ("5m", "30m", "1h", "6h", "1d", "3d")
                    ],
                    w=10,
                    steps=((None, "transparent"), (1, "orange"), (6, "red"), (14.4, "dark-red")),
                )
            )
        )
    return d


def logs_traces() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_LOGS_TRACES,
        "GenAI logs and traces",
        "Log volume by level, error logs with links to their traces, the slowest traces and the "
        "service graph (Tempo metrics generator).",
        tags=["logs", "traces"],
    )
    return (
        d.with_panel(
            loki_graph(
                "Log volume by level",
                f"sum by (detected_level) (count_over_time({LOKI_SEL} [$__auto]))",
                "{{detected_level}}",
                w=16,
            )
        )
        .with_panel(
            graph(
                "Spans / s by service (Tempo span metrics)",
                [
                    prom(
                        rsum("traces_spanmetrics_calls_total", 'service=~"$service"', "service"),
                        "{{service}}",
                    )
                ],
                w=8,
            )
        )
        .with_panel(
            log_panel(
                "Error logs (trace_id links open the trace)",
                f'{LOKI_SEL} | detected_level=~"(?i)error|critical|fatal"',
                w=24,
            )
        )
        .with_panel(
            trace_search(
                "Slowest traces (over 1 s)",
                '{resource.service.name=~"$service" && duration > 1s}',
            )
        )
        .with_panel(service_graph("Service graph"))
        .with_panel(log_panel("All logs", LOKI_SEL, w=24))
    )


def pipeline() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_PIPELINE,
        "Telemetry pipeline health",
        "The ADOT collector's accepted, refused, sent and failed items per signal and its queues, "
        "Loki and Tempo ingestion, Prometheus remote-write receive rate, scrape targets and the "
        "SDK's own drops.",
        tags=["pipeline"],
    )
    signals = (("spans", "traces"), ("metric_points", "metrics"), ("log_records", "logs"))

    def per_signal(metric: str) -> list:
        return [
            prom(f"sum(rate(otelcol_{metric}_{items}_total[{RATE}]))", sig)
            for items, sig in signals
        ]

    return (
        d.with_row(row("ADOT collector"))
        .with_panel(graph("Accepted by receivers / s", per_signal("receiver_accepted"), w=6))
        .with_panel(graph("Refused by receivers / s", per_signal("receiver_refused"), w=6))
        .with_panel(graph("Sent by exporters / s", per_signal("exporter_sent"), w=6))
        .with_panel(graph("Failed to send / s", per_signal("exporter_send_failed"), w=6))
        .with_panel(
            graph(
                "Exporter queue size vs capacity",
                [
                    prom("max by (exporter) (otelcol_exporter_queue_size)", "{{exporter}} size"),
                    prom(
                        "max by (exporter) (otelcol_exporter_queue_capacity)",
                        "{{exporter}} capacity",
                    ),
                ],
                w=12,
            )
        )
        .with_panel(
            graph(
                "Items lost / min by stage and signal (alert over 100)",
                [
                    prom(
                        "sum by (stage, signal) (job:otelcol_failed_items:rate5m) * 60",
                        "{{stage}} {{signal}}",
                    )
                ],
                w=12,
                steps=((None, "transparent"), (100, "red")),
            )
        )
        .with_row(row("Backends"))
        .with_panel(
            graph(
                "Loki ingestion",
                [
                    prom(f"sum(rate(loki_distributor_lines_received_total[{RATE}]))", "lines / s"),
                    prom(f"sum(rate(loki_distributor_bytes_received_total[{RATE}]))", "bytes / s"),
                ],
                w=8,
            )
        )
        .with_panel(
            graph(
                "Tempo ingestion",
                [
                    prom(f"sum(rate(tempo_distributor_spans_received_total[{RATE}]))", "spans / s"),
                    prom(f"sum(rate(tempo_distributor_bytes_received_total[{RATE}]))", "bytes / s"),
                ],
                w=8,
            )
        )
        .with_panel(
            graph(
                "Prometheus remote-write receive",
                [
                    prom(
                        rsum("prometheus_http_requests_total", 'handler="/api/v1/write"'),
                        "write requests / s",
                    ),
                    prom(
                        f"sum(rate(prometheus_tsdb_head_samples_appended_total[{RATE}]))",
                        "samples appended / s",
                    ),
                ],
                w=8,
            )
        )
        .with_row(row("Targets and SDK"))
        .with_panel(
            prom_table(
                "Scrape targets (1 = up)", [prom("up", "{{job}} {{instance}}", instant=True)], w=12
            )
        )
        .with_panel(
            graph(
                "SDK dropped telemetry / s",
                [
                    prom(
                        rsum(DROPPED, SVC_SEL, "telemetry_signal, drop_reason"),
                        "{{telemetry_signal}} {{drop_reason}}",
                    )
                ],
                w=12,
            )
        )
    )


DASHBOARDS = {
    "service-overview.json": service_overview,
    "security.json": security,
    "genai.json": genai,
    "finops.json": finops,
    "slos.json": slos,
    "logs-traces.json": logs_traces,
    "pipeline.json": pipeline,
    "user-cost.json": user_cost,
}
