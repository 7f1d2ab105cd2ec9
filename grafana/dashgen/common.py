"""Small, typed helpers over grafana-foundation-sdk: datasource refs, queries, panels, variables.

Every dashboard uses the same template variables (environment, service, model, tenant), the
same datasource uids and the same annotations, so they are defined once here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypedDict, TypeVar, Unpack

from grafana_foundation_sdk.builders import (
    bargauge,
    dashboard,
    logs,
    loki,
    nodegraph,
    prometheus,
    stat,
    table,
    tempo,
    text,
    timeseries,
)
from grafana_foundation_sdk.builders.common import StackingConfig, VizLegendOptions
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import tempo as tm
from grafana_foundation_sdk.models.text import TextMode

from dashgen.names import ALERTS_SEL, ALL_VALUES, LOKI_UID, PROMETHEUS_UID, SVC_SEL, TEMPO_UID

PROM = dm.DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
LOKI = dm.DataSourceRef(type_val="loki", uid=LOKI_UID)
TEMPO = dm.DataSourceRef(type_val="tempo", uid=TEMPO_UID)
GRAFANA = dm.DataSourceRef(type_val="grafana", uid="-- Grafana --")

RATE = "$__rate_interval"

Panel = cogbuilder.Builder[dm.Panel]
B = TypeVar(
    "B", timeseries.Panel, stat.Panel, bargauge.Panel, table.Panel, logs.Panel, nodegraph.Panel
)
# Every data source's query builder: each sets its own ref id.
Query = prometheus.Dataquery | loki.Dataquery | tempo.Dataquery


def _ref_ids() -> Iterator[str]:
    return (chr(ord("A") + i) for i in itertools.count())


def prom(expr: str, legend: str = "__auto", *, instant: bool = False, exemplar: bool = False):
    q = prometheus.Dataquery().expr(expr).legend_format(legend).datasource(PROM)
    q = q.instant() if instant else q.range()
    if exemplar:
        q = q.exemplar(True)
    return q


def logql(expr: str, legend: str = "", *, max_lines: int | None = None):
    q = loki.Dataquery().expr(expr).datasource(LOKI)
    if legend:
        q = q.legend_format(legend)
    if max_lines is not None:
        q = q.max_lines(max_lines)
    return q


def _targets(panel, queries: Iterable[Query]):
    for ref, q in zip(_ref_ids(), queries, strict=False):
        panel = panel.with_target(q.ref_id(ref))
    return panel


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


Steps = tuple[tuple[float | None, str], ...]
GREEN: Steps = ((None, "green"),)


class Look(TypedDict, total=False):
    """What a dashboard may set on any data panel; each panel kind has its own defaults."""

    description: str
    unit: str
    w: int  # width, of 24 columns
    h: int  # height, in rows
    steps: Steps  # threshold steps, (value, colour) from the base (None) up
    decimals: int | None
    min_val: float | None
    max_val: float | None


def _frame(p: B, title: str, description: str, ds: dm.DataSourceRef, w: int, h: int) -> B:
    """What every panel sets: title, description, data source and size."""
    return p.title(title).description(description).datasource(ds).span(w).height(h)


def _panel(p: B, title: str, look: Look, defaults: Look, ds: dm.DataSourceRef = PROM) -> B:
    """A data panel: the frame, unit, thresholds and value range, the look over its defaults."""
    o: Look = {**defaults, **look}
    p = _frame(p, title, o.get("description", ""), ds, o["w"], o["h"]).unit(o.get("unit", "short"))
    if steps := o.get("steps"):
        p = p.thresholds(thresholds(*steps))
    if (decimals := o.get("decimals")) is not None:
        p = p.decimals(decimals)
    if (min_val := o.get("min_val")) is not None:
        p = p.min(min_val)
    if (max_val := o.get("max_val")) is not None:
        p = p.max(max_val)
    return p


def graph(
    title: str,
    queries: Iterable[Query],
    *,
    stacked: bool = False,
    ds: dm.DataSourceRef = PROM,
    **look: Unpack[Look],
):
    p = (
        _panel(timeseries.Panel(), title, look, {"w": 12, "h": 8, "min_val": 0}, ds)
        .fill_opacity(10)
        .legend(
            VizLegendOptions()
            .show_legend(True)
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
        )
    )
    if stacked:
        p = p.stacking(StackingConfig().mode(cm.StackingMode.NORMAL)).fill_opacity(40)
    if look.get("steps"):
        p = p.thresholds_style(_threshold_lines())
    return _targets(p, queries)


def _threshold_lines():
    from grafana_foundation_sdk.builders.common import GraphThresholdsStyleConfig

    return GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED)


def single_stat(title: str, queries: Iterable[Query], **look: Unpack[Look]):
    p = _panel(stat.Panel(), title, look, {"w": 6, "h": 4, "steps": GREEN})
    p = p.color_mode(cm.BigValueColorMode.BACKGROUND).graph_mode(cm.BigValueGraphMode.AREA)
    return _targets(p, queries)


def bars(title: str, queries: Iterable[Query], **look: Unpack[Look]):
    p = _panel(bargauge.Panel(), title, look, {"w": 12, "h": 8, "steps": GREEN, "min_val": 0})
    p = p.orientation(cm.VizOrientation.HORIZONTAL).display_mode(cm.BarGaugeDisplayMode.GRADIENT)
    return _targets(p, queries)


def prom_table(title: str, queries: Iterable[Query], **look: Unpack[Look]):
    return _targets(_panel(table.Panel(), title, look, {"w": 12, "h": 8}), queries)


def log_panel(title: str, expr: str, *, description: str = "", w: int = 24, h: int = 10):
    # Trace links come from the Loki datasource's derived field on trace_id (Grafana provisioning).
    p = (
        _frame(logs.Panel(), title, description, LOKI, w, h)
        .show_time(True)
        .wrap_log_message(True)
        .enable_log_details(True)
        .sort_order(cm.LogsSortOrder.DESCENDING)
    )
    return _targets(p, [logql(expr, max_lines=200)])


def loki_graph(
    title: str, expr: str, legend: str, *, description: str = "", w: int = 12, h: int = 8
):
    return graph(
        title, [logql(expr, legend)], ds=LOKI, description=description, w=w, h=h, stacked=True
    )


def loki_table(title: str, expr: str, *, description: str = "", w: int = 12, h: int = 8):
    q = logql(expr).query_type("instant")
    p = _frame(table.Panel(), title, description, LOKI, w, h)
    return _targets(p, [q])


def trace_search(title: str, traceql: str, *, description: str = "", w: int = 12, h: int = 10):
    q = (
        tempo.Dataquery()
        .datasource(TEMPO)
        .query_type("traceql")
        .query(traceql)
        .limit(20)
        .table_type(tm.SearchTableType.TRACES)
    )
    p = _frame(table.Panel(), title, description, TEMPO, w, h)
    return _targets(p, [q])


def service_graph(title: str, *, description: str = "", w: int = 12, h: int = 10):
    # Tempo's service map reads traces_service_graph_* series (Tempo metrics generator) through
    # the Prometheus datasource configured on the Tempo datasource.
    q = tempo.Dataquery().datasource(TEMPO).query_type("serviceMap")
    p = _frame(nodegraph.Panel(), title, description, TEMPO, w, h)
    return _targets(p, [q])


def note(content: str, *, w: int = 24, h: int = 3):
    return text.Panel().title("").content(content).mode(TextMode.MARKDOWN).span(w).height(h)


def row(title: str) -> dashboard.Row:
    return dashboard.Row(title)


def variables() -> list[cogbuilder.Builder[dm.VariableModel]]:
    """environment, service, model, tenant: the same on every dashboard, each narrowing the next."""

    def var(name: str, label: str, query: str) -> dashboard.QueryVariable:
        return (
            dashboard.QueryVariable(name)
            .label(label)
            .datasource(PROM)
            .query(query)
            .definition(query)
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(ALL_VALUES[name])
            .current(dm.VariableOption(selected=True, text="All", value="$__all"))
        )

    return [
        var(
            "environment",
            "Environment",
            "label_values(http_server_request_duration_seconds_count, deployment_environment_name)",
        ),
        var(
            "service",
            "Service",
            "label_values(http_server_request_duration_seconds_count"
            '{deployment_environment_name=~"$environment"}, service_name)',
        ),
        var(
            "model",
            "Model",
            f"label_values(genai_lab_prompts_total{{{SVC_SEL}}}, gen_ai_request_model)",
        ),
        var("tenant", "Tenant", f"label_values(genai_lab_prompts_total{{{SVC_SEL}}}, tenant_id)"),
    ]


def annotation_queries() -> list[cogbuilder.Builder[dm.AnnotationQuery]]:
    return [
        # Grafana's own annotations: AI-ops writes incident notes here, by dashboard uid.
        dashboard.AnnotationQuery()
        .name("Annotations & Alerts")
        .datasource(GRAFANA)
        .enable(True)
        .hide(True)
        .icon_color("rgba(0, 211, 255, 1)")
        .type("dashboard")
        .built_in(1),
        # Firing Prometheus alerts for the selected services (ALERTS is Prometheus's own series).
        dashboard.AnnotationQuery()
        .name("Firing alerts")
        .datasource(PROM)
        .enable(True)
        .icon_color("red")
        .expr(f'ALERTS{{alertstate="firing", {ALERTS_SEL}}}')
        .step("60s")
        .title_format("{{alertname}}")
        .text_format("{{severity}} / {{category}}")
        .tag_keys("alertname,severity,category"),
    ]


def links() -> list[cogbuilder.Builder[dm.DashboardLink]]:
    return [
        dashboard.DashboardLink("GenAI lab")
        .type(dm.DashboardLinkType.DASHBOARDS)
        .tags(["genai-lab"])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
    ]


def new_dashboard(
    uid: str, title: str, description: str, *, tags: list[str], time_from: str = "now-1h"
):
    d = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["genai-lab", *tags])
        .editable()
        .timezone("browser")
        .time(time_from, "now")
        .refresh("30s")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .variables(variables())
        .annotations(annotation_queries())
        .links(links())
    )
    return d
