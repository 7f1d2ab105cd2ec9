"""The cost-by-user dashboard: per-user and per-model spend from the genai_lab.call records in
Loki (docs/schemas/genai-call-record.schema.json), with LogQL `unwrap` over their cost field.

User ids are never metric labels (one series per user would not scale), so per-user numbers
come from logs: each record carries the pseudonymous user.id (user_id in Loki), tenant, model,
tokens and cost. Its uid is the `dashboard` annotation of the Loki alert UserOverDailyBudget
(loki/rules/fake/genai-call-records.yaml).

Every query selects the call-record stream with genai_lab_log_class="call", a matcher that
cannot match the empty string, so Loki accepts it whatever "All" expands the other variables to.
"""

from __future__ import annotations

from urllib.parse import quote

from grafana_foundation_sdk.builders import dashboard, table
from grafana_foundation_sdk.models import dashboard as dm

from dashgen.common import LOKI, graph, log_panel, logql, new_dashboard, note, row
from dashgen.names import DASH_USER_COST, TEMPO_UID

CALLS = (
    '{genai_lab_log_class="call", deployment_environment_name=~"$environment", '
    'service_name=~"$service"}'
)
FILTERS = '| tenant_id=~"$tenant" | gen_ai_request_model=~"$model"'
WITH_USER = '| user_id=~"u_.+"'
COST = '| unwrap genai_lab_cost_usd | __error__=""'
USD = "currencyUSD"
USER_LEGEND = "{{user_id}}"
# Columns of the calls table, in order (Loki's names for the record's fields).
CALL_COLUMNS = (
    "Time",
    "user_id",
    "tenant_id",
    "gen_ai_request_model",
    "genai_lab_call_outcome",
    "error_type",
    "genai_lab_cost_usd",
    "gen_ai_usage_input_tokens",
    "gen_ai_usage_output_tokens",
    "genai_lab_call_latency_s",
    "genai_lab_call_cache_hit",
    "request_id",
    "trace_id",
)


def cost_by(by: str, rng: str, *, users_only: bool = False) -> str:
    """USD per (by) over rng. `keep` drops every other field before `unwrap`, so the range
    aggregation makes one series per group, not one per record (request_id, trace_id... are
    unique); Loki allows no `by` on sum_over_time itself."""
    users = f" {WITH_USER}" if users_only else ""
    keep = f"| keep {by}, genai_lab_cost_usd"
    return f"sum by ({by}) (sum_over_time({CALLS} {FILTERS}{users} {keep} {COST} [{rng}]))"


def _explore_user_calls_url() -> str:
    # Explore, Loki, the clicked user's calls (log lines with trace links) over the last day.
    expr = '{genai_lab_log_class="call"} | user_id="${__value.raw}"'
    panes = (
        '{"calls":{"datasource":"loki","queries":[{"refId":"A","datasource":'
        '{"type":"loki","uid":"loki"},"expr":' + _json_string(expr) + "}],"
        '"range":{"from":"now-24h","to":"now"}}}'
    )
    return "/explore?schemaVersion=1&orgId=1&panes=" + quote(panes, safe="${}_")


def _json_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def top_users() -> table.Panel:
    q = logql(f"topk(10, {cost_by('tenant_id, user_id', '$__range', users_only=True)})")
    user_link = dm.DynamicConfigValue(
        id_val="links",
        value=[{"title": "This user's calls (Explore)", "url": _explore_user_calls_url()}],
    )
    return (
        table.Panel()
        .title("Top users by cost")
        .description(
            "The ten pseudonymous users (user.id, an HMAC of X-User-ID) who spent most in the "
            "time range, per tenant. Click a user for their calls, each with its trace."
        )
        .datasource(LOKI)
        .unit(USD)
        .decimals(4)
        .span(12)
        .height(9)
        .with_target(q.query_type("instant").ref_id("A"))
        .override_by_name("user_id", [user_link])
        .transformations(
            # One frame per user from Loki: labels to columns, one table, biggest first.
            [
                dm.DataTransformerConfig(id_val="labelsToFields", options={}),
                dm.DataTransformerConfig(id_val="merge", options={}),
                dm.DataTransformerConfig(
                    id_val="sortBy", options={"sort": [{"field": "Value", "desc": True}]}
                ),
            ]
        )
    )


def user_calls() -> table.Panel:
    trace_link = dm.DynamicConfigValue(
        id_val="links",
        value=[
            {
                "title": "Trace ${__value.raw}",
                "url": "",
                "internal": {
                    "datasourceUid": TEMPO_UID,
                    "datasourceName": "Tempo",
                    "query": {"query": "${__value.raw}", "queryType": "traceql"},
                },
            }
        ],
    )
    q = logql(f"{CALLS} {FILTERS} {WITH_USER}", max_lines=500)
    return (
        table.Panel()
        .title("Calls by user")
        .description(
            "Every call with a user id in the time range (newest first, up to 500): filter the "
            "user_id column to see one user's calls; trace_id opens the trace in Tempo."
        )
        .datasource(LOKI)
        .span(24)
        .height(10)
        .filterable(True)
        .with_target(q.ref_id("A"))
        .override_by_name("trace_id", [trace_link])
        .override_by_name("genai_lab_cost_usd", [dm.DynamicConfigValue(id_val="unit", value=USD)])
        .transformations(
            [
                dm.DataTransformerConfig(
                    id_val="extractFields", options={"source": "labels", "format": "auto"}
                ),
                dm.DataTransformerConfig(
                    id_val="organize",
                    options={
                        "includeByName": {name: True for name in CALL_COLUMNS},
                        "indexByName": {name: i for i, name in enumerate(CALL_COLUMNS)},
                    },
                ),
            ]
        )
    )


def user_cost() -> dashboard.Dashboard:
    d = new_dashboard(
        DASH_USER_COST,
        "GenAI cost by user and model (from logs)",
        "Per-user and per-model spend from the genai_lab.call records in Loki (one per model "
        "call; LogQL unwrap over genai_lab_cost_usd). Users are pseudonymous (user.id = HMAC of "
        "X-User-ID) and never metric labels. Time range defaults to today.",
        tags=["finops", "logs"],
        time_from="now/d",
    )
    return (
        d.with_row(row("Who spends"))
        .with_panel(
            note(
                "Each model call writes one **genai_lab.call** record "
                "(`docs/schemas/genai-call-record.schema.json`): tenant, pseudonymous user, "
                "model, tokens, cost, outcome, trace id. These panels sum its `genai_lab_cost_usd` "
                "with LogQL `unwrap`; cached answers cost 0. Per-user budget alert: "
                "**UserOverDailyBudget** (Loki ruler)."
            )
        )
        .with_panel(top_users())
        .with_panel(
            graph(
                "Top 5 users, spend per interval",
                [
                    logql(
                        f"topk(5, {cost_by('user_id', '$__auto', users_only=True)})", "{{user_id}}"
                    )
                ],
                ds=LOKI,
                unit=USD,
                stacked=True,
                description="USD spent per interval by the five biggest spenders at each step.",
            )
        )
        .with_row(row("What it buys"))
        .with_panel(
            graph(
                "Cost per model per tenant",
                [
                    logql(
                        cost_by("tenant_id, gen_ai_request_model", "$__auto"),
                        "{{tenant_id}} / {{gen_ai_request_model}}",
                    )
                ],
                ds=LOKI,
                unit=USD,
                stacked=True,
                description="USD per interval, by tenant and requested model, from the records.",
            )
        )
        .with_panel(
            graph(
                "Calls by outcome",
                [
                    logql(
                        f"sum by (genai_lab_call_outcome) (count_over_time({CALLS} {FILTERS} "
                        "[$__auto]))",
                        "{{genai_lab_call_outcome}}",
                    )
                ],
                ds=LOKI,
                stacked=True,
                description="success, guardrail_rejected, invalid_request, provider_error, "
                "cancelled, error: each call is one record, whatever happened to it.",
            )
        )
        .with_row(row("One user's calls"))
        .with_panel(user_calls())
        .with_panel(
            log_panel(
                "Call records",
                f"{CALLS} {FILTERS}",
                description="The raw records; open one for its fields and its trace.",
            )
        )
    )
