"""The markdown incident record and the short texts for annotations and chat. Pure."""

from __future__ import annotations

from aiops.incidents import Incident


def _ts(incident: Incident) -> str:
    return f"{incident.started_at:%Y-%m-%d %H:%M:%S} UTC"


def markdown(incident: Incident) -> str:
    s = incident.summary
    lines = [
        f"# Incident {incident.id}: {incident.alertname}",
        "",
        f"- **Status:** {incident.status}",
        f"- **Severity:** {incident.severity} · **Category:** {incident.category}",
        f"- **Started:** {_ts(incident)}",
    ]
    if incident.resolved_at:
        lines.append(f"- **Resolved:** {incident.resolved_at:%Y-%m-%d %H:%M:%S} UTC")
    lines.append(f"- **Alerts:** {len(incident.alerts)} ({incident.group_key})")
    if s is None:
        lines += ["", "_Summary pending: context is being gathered._", ""]
        return "\n".join(lines)
    lines += ["", f"## {s.title}", ""]
    if description := incident.common_annotations.get("description"):
        lines += [f"> {description}", ""]
    if url := incident.common_annotations.get("runbook_url"):
        lines += [f"Runbook: {url}", ""]
    lines += [
        f"**Likely cause:** {s.likely_cause}",
        "",
        f"**Impact:** {s.impact}",
        "",
        f"**When:** {s.started}",
        "",
        f"**How far from normal:** {s.deviation}",
        "",
    ]
    if s.route:
        lines.append(f"- Route: `{s.route}` (from {s.route_source})")
    if s.model:
        lines.append(f"- Model: `{s.model}` (from {s.model_source})")
    if s.error_message:
        lines.append(f"- Error: {s.error_message} (from {s.error_message_source})")
    if s.narrative:
        lines += ["", "## Analysis", "", s.narrative]
    lines += ["", f"## Next steps ({s.remediation_source})", ""]
    lines += [f"{n}. {step}" for n, step in enumerate(s.remediation, 1)]
    if s.evidence:
        lines += ["", "## Evidence", ""]
        lines += [f"- [{e.source}] {e.text}" for e in s.evidence]
    if s.trace_ids:
        lines += ["", "## Traces", ""] + [f"- `{t}`" for t in s.trace_ids]
    if s.unavailable:
        lines += ["", "## Could not read", ""] + [f"- {u}" for u in s.unavailable]
    alerts = sorted(incident.alerts.values(), key=lambda a: a.starts_at)
    lines += ["", "## Alerts", ""]
    for a in alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        lines.append(f"- {a.status} since {a.starts_at:%H:%M:%S} UTC: {labels}")
    lines += ["", f"_Summariser: {s.summariser}._", ""]
    return "\n".join(lines)


def short_text(incident: Incident) -> str:
    """One paragraph for a Grafana annotation or a chat message."""
    s = incident.summary
    head = f"[{incident.status.upper()}] {incident.alertname} ({incident.severity})"
    if s is None:
        return head
    parts = [head, f"Likely cause: {s.likely_cause}", f"Impact: {s.impact}"]
    if s.remediation:
        parts.append(f"First step: {s.remediation[0]}")
    if s.unavailable:
        parts.append("Could not read: " + "; ".join(s.unavailable))
    parts.append(f"Incident {incident.id}")
    return "\n".join(parts)
