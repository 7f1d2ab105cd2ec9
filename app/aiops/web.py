"""The read-only HTML view: incident list, one incident, and the runbooks rendered as pages.

Server-rendered with Jinja2 autoescaping (alert labels, annotations and summaries are untrusted:
anyone who can make an alert fire chooses some of their text), markdown rendered with raw HTML
off, and a Content-Security-Policy that allows no script at all, so a missed escape still
cannot run anything. The runbooks are served at /runbooks/<AlertName>, the address the rules'
runbook_url annotations point to (RUNBOOK_BASE_URL, see grafana/dashgen/runbooks.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt

from aiops.incidents import Incident
from aiops.store import IncidentStore

router = APIRouter(include_in_schema=False)

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# js-default: CommonMark plus tables, with raw HTML disabled and unsafe link schemes refused.
_MARKDOWN = MarkdownIt("js-default")
_ALERT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
_RUNBOOK_MAX_BYTES = 256 * 1024
LIST_LIMIT = 200
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _not_found(what: str) -> HTMLResponse:
    return _page("not_found.html", 404, title="Not found", what=what)


def grafana_links(grafana_url: str, incident: Incident) -> dict[str, Any]:
    """The dashboard the alert names, and Explore on Tempo for each trace the summary cites."""
    links: dict[str, Any] = {"dashboard": None, "traces": []}
    if not grafana_url:
        return links
    start = int(incident.started_at.timestamp() * 1000)
    end = int(incident.resolved_at.timestamp() * 1000) if incident.resolved_at else None
    window = {"from": str(start - 15 * 60_000), "to": str(end + 5 * 60_000) if end else "now"}
    uid = incident.common_annotations.get("dashboard", "")
    if uid and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        query = urlencode({"orgId": 1, **window})
        links["dashboard"] = f"{grafana_url}/d/{quote(uid)}?{query}"
    traces = incident.summary.trace_ids if incident.summary else []
    for trace_id in traces:
        if not re.fullmatch(r"[0-9a-fA-F]{16,32}", trace_id):
            continue
        pane = {
            "datasource": "tempo",
            "queries": [
                {
                    "refId": "A",
                    "datasource": {"type": "tempo", "uid": "tempo"},
                    "queryType": "traceql",
                    "query": trace_id,
                }
            ],
            "range": window,
        }
        panes = json.dumps({"a": pane}, separators=(",", ":"))
        query = urlencode({"schemaVersion": 1, "panes": panes, "orgId": 1})
        url = f"{grafana_url}/explore?{query}"
        links["traces"].append({"trace_id": trace_id, "url": url})
    return links


def runbook_path(runbooks_dir: Path, alertname: str) -> Path | None:
    """The runbook file for an alert name, or None. Only plain names: no path can escape."""
    if not _ALERT_NAME.fullmatch(alertname):
        return None
    path = runbooks_dir / f"{alertname}.md"
    return path if path.is_file() else None


def runbook_link(runbooks_dir: Path, incident: Incident) -> str | None:
    if runbook_path(runbooks_dir, incident.alertname):
        return f"/runbooks/{incident.alertname}"
    url = incident.common_annotations.get("runbook_url", "")
    return url if url.startswith(("https://", "http://")) else None


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/incidents", status_code=307)


@router.get("/ui/incidents")
async def incident_list(request: Request) -> HTMLResponse:
    store: IncidentStore = request.app.state.store
    # The newest LIST_LIMIT from the index; only those records are read.
    found = (store.get(str(row["id"])) for row in store.rows(LIST_LIMIT))
    return _page(
        "incidents.html",
        title="Incidents",
        incidents=[i for i in found if i is not None],
        hidden=max(0, len(store) - LIST_LIMIT),
    )


@router.get("/ui/incidents/{incident_id}")
async def incident_page(request: Request, incident_id: str) -> HTMLResponse:
    store: IncidentStore = request.app.state.store
    incident = store.get(incident_id)
    if incident is None:
        return _not_found("incident")
    settings = request.app.state.settings
    return _page(
        "incident.html",
        title=f"{incident.alertname} · {incident.id}",
        incident=incident,
        alerts=sorted(incident.alerts.values(), key=lambda a: a.starts_at),
        links=grafana_links(settings.grafana_public_url, incident),
        runbook=runbook_link(settings.runbooks_dir, incident),
    )


@router.get("/runbooks")
async def runbook_index(request: Request) -> HTMLResponse:
    names = sorted(p.stem for p in request.app.state.settings.runbooks_dir.glob("*.md"))
    return _page("runbooks.html", title="Runbooks", names=[n for n in names if n != "README"])


@router.get("/runbooks/{alertname}")
async def runbook_page(request: Request, alertname: str) -> Response:
    name = alertname.removesuffix(".md")
    path = runbook_path(request.app.state.settings.runbooks_dir, name)
    if path is None:
        return _not_found("runbook")
    with path.open("rb") as f:
        text = f.read(_RUNBOOK_MAX_BYTES).decode("utf-8", errors="replace")
    # markdown-it escapes text itself and, with html off, never passes raw HTML through.
    return _page("runbook.html", title=f"Runbook: {name}", name=name, body=_MARKDOWN.render(text))
