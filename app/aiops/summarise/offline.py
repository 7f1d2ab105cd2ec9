"""The deterministic summariser: reasons over what was gathered, names where each claim came from.

No template with blanks: the likely cause is the strongest signal the context actually holds,
chosen in an order that fits the alert's category (an availability alert looks at exceptions
and failing provider calls first, a latency alert at the slowest route and model, a cost alert
at the model spending most). When the context holds nothing, it says that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiops.anomaly import describe as anomaly
from aiops.context import Gathered, LogEntry, QueryResult, SeriesStats
from aiops.incidents import Evidence, Incident, Summary
from aiops.summarise.runbook import Runbook

ROUTE_LABEL = "http_route"
MODEL_LABEL = "gen_ai_request_model"
EXC_LABEL = "exception_type"
ERR_LABEL = "error_type"
EXC_SOURCE = "prometheus genai_lab_exceptions_unhandled_total"
PERR_SOURCE = "prometheus genai_lab_provider_errors_total"
#: Categories whose alerts are about requests to a route.
ROUTE_CATEGORIES = ("availability", "latency", "unknown")


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        text = f"{v:,.0f}"
    elif abs(v) >= 1:
        text = f"{v:.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{v:.3g}"
    return f"{text}{unit}"


def _hhmm(t: datetime) -> str:
    return f"{t:%H:%M:%S} UTC"


def _top(q: QueryResult | None, key: Callable[[SeriesStats], float | None]) -> SeriesStats | None:
    if q is None:
        return None
    scored = [(key(s) or 0.0, s) for s in q.series]
    scored = [x for x in scored if x[0] > 0]
    return max(scored, key=lambda x: x[0])[1] if scored else None


def _growth(s: SeriesStats) -> float:
    """How far the window rose above normal; 0 unless it rose by a fifth or more.

    A flat series (the model that was always this slow) is not a finding, however large.
    """
    peak = s.peak or 0.0
    base = s.baseline or 0.0
    return peak - base if peak > 0 and peak > base * 1.2 else 0.0


def _ratio(base: float | None, now: float | None) -> str:
    if now is None:
        return ""
    if not base:
        return " (none before the alert)"
    return f" ({now / base:.1f}x normal)"


def _change(s: SeriesStats, unit: str = "") -> str:
    return (
        f"normal {_fmt(s.baseline, unit)}, during the alert {_fmt(s.window, unit)}"
        f" (peak {_fmt(s.peak, unit)}){_ratio(s.baseline, s.peak)}"
    )


@dataclass
class _Finding:
    value: str
    source: str


@dataclass
class _Reading:
    """Every fact the summary can use, each with its source, read once from the context."""

    incident: Incident
    ctx: Gathered

    def __post_init__(self) -> None:
        c = self.ctx
        # Only labels every alert shares: with two routes firing, neither is "the" route.
        self.labels = self.incident.common_labels
        self.exceptions = _top(c.query("exceptions"), _growth)
        self.provider_errors = _top(c.query("provider_errors"), _growth)
        self.error_rate = _top(c.query("error_rate"), _growth)
        self.p95 = _top(c.query("p95_latency"), _growth)
        self.model_p95 = _top(c.query("model_p95_latency"), _growth)
        self.cost = _top(c.query("cost_rate"), lambda s: s.window)
        self.alert_series = _top(c.query("alert_expr"), lambda s: s.peak if s.peak else 1e-12)
        self.error_logs = list(c.logs)
        self.top_log = _top_message(self.error_logs)

    def focus_logs(self, route: _Finding | None) -> None:
        """Prefer the error lines of the route at fault.

        The service also logs unrelated errors (its housekeeping jobs, another route); the most
        frequent line overall is not necessarily this incident's.
        """
        exc_type = self.exceptions.labels.get(EXC_LABEL) if self.exceptions else None
        if route is not None:
            on_route = [e for e in self.error_logs if e.route == route.value]
            if on_route:
                self.top_log = _top_message(on_route)
                return
        if exc_type:
            same_type = [e for e in self.error_logs if e.exception_type == exc_type]
            if same_type:
                self.top_log = _top_message(same_type)

    def route(self) -> _Finding | None:
        if r := self.labels.get(ROUTE_LABEL):
            return _Finding(r, "alert labels")
        category = self.incident.category
        if category not in ROUTE_CATEGORIES:
            # A cost, pipeline or security alert is not about a route; a route that happens to
            # be failing meanwhile would be a false lead.
            return None
        order: list[tuple[SeriesStats | None, str]] = [
            (self.exceptions, EXC_SOURCE),
            (self.error_rate, "prometheus http 5xx rate"),
        ]
        if category == "latency":
            order = [(self.p95, "prometheus http p95 latency"), order[1]]
        return _first_label(order, ROUTE_LABEL, [e.route for e in self.error_logs])

    def model(self) -> _Finding | None:
        """The model at fault, only from a signal that fits the alert: failing provider calls
        always; the slowest model for latency; the costliest for cost. A crash in a route does
        not implicate whichever model happened to be busy."""
        if m := self.labels.get(MODEL_LABEL):
            return _Finding(m, "alert labels")
        order: list[tuple[SeriesStats | None, str]] = [(self.provider_errors, PERR_SOURCE)]
        if self.incident.category == "latency":
            order.append((self.model_p95, "prometheus gen_ai operation p95"))
        elif self.incident.category == "cost":
            order.insert(0, (self.cost, "prometheus genai_lab_cost_usd_total"))
        return _first_label(order, MODEL_LABEL, [e.model for e in self.error_logs])

    def error_message(self) -> _Finding | None:
        if self.top_log:
            text, count = self.top_log
            return _Finding(text, f"loki error logs ({count} of {len(self.error_logs)} lines)")
        if self.exceptions and self.exceptions.labels.get(EXC_LABEL):
            return _Finding(self.exceptions.labels[EXC_LABEL], EXC_SOURCE)
        if self.provider_errors and self.provider_errors.labels.get(ERR_LABEL):
            return _Finding(self.provider_errors.labels[ERR_LABEL], PERR_SOURCE)
        annotations = self.incident.common_annotations
        # Only an availability alert's description is about an error; a latency or cost
        # description would be mislabelled as one.
        if self.incident.category not in ("availability", "unknown"):
            return None
        if d := annotations.get("description"):
            return _Finding(d, "alert annotation description")
        return None


def _first_label(
    order: list[tuple[SeriesStats | None, str]], label: str, logged: list[str | None]
) -> _Finding | None:
    """The label from the first series in order that has it, else the value the error logs
    name most often."""
    for s, source in order:
        if s and s.labels.get(label):
            return _Finding(s.labels[label], source)
    counts = Counter(v for v in logged if v)
    if counts:
        return _Finding(counts.most_common(1)[0][0], "loki error logs")
    return None


def _top_message(logs: list[LogEntry]) -> tuple[str, int] | None:
    counts = Counter(e.message for e in logs if e.message)
    if not counts:
        return None
    text, n = counts.most_common(1)[0]
    return text, n


def _labelled_change(
    s: SeriesStats | None, label: str, unknown: str, text: str, unit: str
) -> str | None:
    """text with the series' label value (or `unknown`) and its change, or None without it."""
    if not s:
        return None
    return text.format(s.labels.get(label, unknown), _change(s, unit))


def _cause(r: _Reading, route: _Finding | None, model: _Finding | None) -> str:
    if text := anomaly.cause(r.incident, r.ctx):
        return text
    where = f" on {route.value}" if route else ""
    with_model = f" for model {model.value}" if model else ""
    log_text = f': "{r.top_log[0]}"' if r.top_log else ""

    def exceptions() -> str | None:
        s = r.exceptions
        if not s:
            return None
        exc = s.labels.get(EXC_LABEL, "exception")
        at = s.labels.get(ROUTE_LABEL) or (route.value if route else "an unknown route")
        return (
            f"Unhandled {exc} raised by {at}{log_text}; "
            f"{_fmt(s.peak)} per minute at peak, {_fmt(s.baseline)} before the alert"
        )

    def provider() -> str | None:
        s = r.provider_errors
        if not s:
            return None
        m = s.labels.get(MODEL_LABEL, "the model")
        return (
            f"Provider calls for {m} failing with {s.labels.get(ERR_LABEL, 'errors')}{log_text}; "
            f"{_fmt(s.peak)} failures per minute at peak, {_fmt(s.baseline)} before"
        )

    def logs() -> str | None:
        if not r.top_log:
            return None
        return f'Errors logged{where}: "{r.top_log[0]}" ({r.top_log[1]} times in the window)'

    def latency() -> str | None:
        parts = [
            _labelled_change(r.p95, ROUTE_LABEL, "a route", "p95 latency of {} {}", " s"),
            _labelled_change(r.model_p95, MODEL_LABEL, "the model", "model {} p95 {}", " s"),
        ]
        found = [p for p in parts if p]
        return "Slow responses: " + "; ".join(found) if found else None

    def cost() -> str | None:
        return _labelled_change(
            r.cost, MODEL_LABEL, "an unlabelled model", "Spend driven by {}: {}", " USD/h"
        )

    def error_rate() -> str | None:
        return _labelled_change(
            r.error_rate, ROUTE_LABEL, "a route", "HTTP 5xx responses from {}: {}", "/s"
        )

    order: dict[str, list[Callable[[], str | None]]] = {
        "availability": [exceptions, provider, logs, error_rate],
        "latency": [latency, provider, logs, error_rate],
        "cost": [cost, provider],
        # aiops gathers no pipeline or security series: only the alert's own query speaks.
        "pipeline": [],
        "security": [],
    }
    rules = order.get(r.incident.category, [exceptions, provider, logs, error_rate, latency, cost])
    for rule in rules:
        if text := rule():
            return text
    alert = r.alert_series
    unread = ", ".join(u.split(" ", 1)[0] for u in r.ctx.unavailable)
    if alert is None and unread:
        return f"Undetermined{where}: could not read {unread}, so no signal was available"
    if alert is not None:
        return (
            f"No corroborating signal in the gathered context{where}{with_model}; "
            f"the alert expression itself went from {_fmt(alert.baseline)} to "
            f"{_fmt(alert.peak)}"
        )
    return f"No corroborating signal in the gathered context{where}{with_model}"


def _impact(r: _Reading, route: _Finding | None) -> str:
    parts = [f"severity {r.incident.severity}"]
    rates = r.ctx.query("error_rate")
    if rates and rates.series:
        failing = sorted(
            (s for s in rates.series if (s.peak or 0) > 0),
            key=lambda s: s.peak or 0,
            reverse=True,
        )
        if failing:
            total = sum(s.peak or 0 for s in failing)
            names = ", ".join(s.labels.get(ROUTE_LABEL, "?") for s in failing[:3])
            parts.append(f"up to {_fmt(total)} failed requests/s on {names}")
        else:
            parts.append("no HTTP 5xx responses recorded")
    if r.error_logs:
        parts.append(f"{len(r.error_logs)} error log lines in the window")
    failed = [t for t in r.ctx.traces if t.error]
    if failed:
        parts.append(f"{len(failed)} failed traces found")
    if r.cost and r.incident.category == "cost":
        parts.append(
            f"spend {_fmt(r.cost.window, ' USD/h')} on {r.cost.labels.get(MODEL_LABEL, '?')}"
        )
    if route and len(parts) == 1:
        parts.append(f"affects {route.value}")
    return "; ".join(parts)


def _started(r: _Reading) -> str:
    text = f"alert active since {_hhmm(r.ctx.alert_start)}"
    firsts = [
        (s.first_nonzero, name)
        for s, name in (
            (r.alert_series, "the alert expression"),
            (r.exceptions, "unhandled exceptions"),
            (r.provider_errors, "provider errors"),
        )
        if s is not None and s.first_nonzero is not None
    ]
    if r.error_logs:
        firsts.append((min(e.time for e in r.error_logs), "error logs"))
    if firsts:
        t, name = min(firsts, key=lambda x: x[0])
        text += f"; first sign: {name} at {_hhmm(t)}"
    return text


def _deviation(r: _Reading) -> str:
    s = r.alert_series
    if s is None:
        if r.ctx.alert_expr:
            return "the alert expression returned no data in the window"
        return "the alert carries no expression to compare against"
    limit = f", alerting threshold {r.ctx.alert_threshold}" if r.ctx.alert_threshold else ""
    return f"alert query: {_change(s)}{limit}"


def _evidence(r: _Reading) -> list[Evidence]:
    ev: list[Evidence] = []
    if r.ctx.alert_expr:
        ev.append(Evidence(source="prometheus", text=f"alert expression: {r.ctx.alert_expr}"))
    for name, s, unit in (
        ("unhandled exceptions/min", r.exceptions, ""),
        ("provider errors/min", r.provider_errors, ""),
        ("HTTP 5xx/s", r.error_rate, ""),
        ("p95 latency", r.p95, " s"),
        ("model p95 latency", r.model_p95, " s"),
        ("cost", r.cost, " USD/h"),
    ):
        if s is not None:
            labels = ", ".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            ev.append(
                Evidence(source="prometheus", text=f"{name} {{{labels}}}: {_change(s, unit)}")
            )
    for text, n in Counter(e.message for e in r.error_logs).most_common(3):
        ev.append(Evidence(source="loki", text=f'{n}x "{text}"'))
    for t in r.ctx.traces[:3]:
        kind = "failed" if t.error else "slow"
        ev.append(
            Evidence(
                source="tempo",
                text=f"{kind} trace {t.trace_id} {t.root_name or ''} {_fmt(t.duration_ms, ' ms')}",
            )
        )
    return ev


def summarise(incident: Incident, ctx: Gathered, runbook: Runbook | None) -> Summary:
    r = _Reading(incident, ctx)
    route = r.route()
    r.focus_logs(route)
    model = r.model()
    message = r.error_message()
    annotations = incident.common_annotations
    title = annotations.get("summary") or f"{incident.alertname} ({incident.severity})"
    if runbook and runbook.remediation:
        remediation = list(runbook.remediation)
        remediation_source = f"runbook {runbook.path.name}"
    else:
        remediation = [
            "Open the dashboard for the alert and compare the window with the hour before.",
            "Follow the trace ids below to the failing spans.",
        ]
        remediation_source = (
            f"no Remediation section in {runbook.path.name}"
            if runbook
            else f"no runbook found for {incident.alertname}"
        )
    trace_ids = list(
        dict.fromkeys(
            [e.trace_id for e in r.error_logs if e.trace_id]
            + [t.trace_id for t in ctx.traces if t.error]
            + [t.trace_id for t in ctx.traces]
        )
    )[:5]
    return Summary(
        title=title,
        likely_cause=_cause(r, route, model),
        impact=_impact(r, route),
        started=_started(r),
        deviation=_deviation(r),
        route=route.value if route else None,
        route_source=route.source if route else None,
        model=model.value if model else None,
        model_source=model.source if model else None,
        error_message=message.value if message else None,
        error_message_source=message.source if message else None,
        evidence=_evidence(r),
        remediation=remediation,
        remediation_source=remediation_source,
        unavailable=list(ctx.unavailable),
        trace_ids=trace_ids,
        summariser="offline",
    )
