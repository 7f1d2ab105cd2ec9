"""aiops's HTML view in process: the Grafana links it builds and the settings it reads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from aiops import web
from aiops.incidents import Incident, Summary
from aiops.settings import Settings
from aiops.store import IncidentStore
from aiops.web import grafana_links
from tests.support.aiops_fixtures import incident, load_json
from tests.support.aiops_service import aiops_in_process, wait_incident

pytestmark = pytest.mark.unit


def test_settings_read_the_public_grafana_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_PUBLIC_URL", "https://grafana.example.com/")
    assert Settings.from_env().grafana_public_url == "https://grafana.example.com"
    assert Path(Settings.from_env().runbooks_dir).name == "runbooks"


def test_grafana_links_reach_the_dashboard_and_each_cited_trace_in_explore() -> None:
    inc = incident("crashstorm-firing")
    inc.summary = Summary(
        title="t",
        likely_cause="c",
        impact="i",
        started="s",
        deviation="d",
        trace_ids=["4bf92f3577b34da6a3ce929d0e0e4736", "not-a-trace-id"],
    )
    links = grafana_links("https://grafana.example.com", inc)
    assert links["dashboard"].startswith("https://grafana.example.com/d/genai-service-overview?")
    assert len(links["traces"]) == 1  # the malformed id is dropped
    url = urlparse(links["traces"][0]["url"])
    assert url.path == "/explore"
    pane = json.loads(parse_qs(url.query)["panes"][0])["a"]
    assert pane["datasource"] == "tempo"
    assert pane["queries"][0]["query"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_incident_list_shows_the_newest_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    monkeypatch.setattr(web, "LIST_LIMIT", 2)
    ids = []
    with aiops_in_process(tmp_path) as client:
        for n in range(3):
            payload = copy.deepcopy(load_json("alertmanager/crash-firing.json"))
            payload["groupKey"] = f"{payload['groupKey']}-{n}"
            r = client.post("/alerts", json=payload)
            assert r.status_code == 200, r.text
            ids.append(r.json()["incident_id"])
        for incident_id in ids:  # summaries written, so only the page reads records now
            wait_incident(client, incident_id)
        read: list[str] = []
        get = IncidentStore.get

        def counting_get(self: IncidentStore, incident_id: str) -> Incident | None:
            read.append(incident_id)
            return get(self, incident_id)

        monkeypatch.setattr(IncidentStore, "get", counting_get)
        page = client.get("/ui/incidents").text
    assert len(set(ids)) == 3
    # Only the records shown are read; the rest is counted from the index.
    assert sorted(read) == sorted(ids[1:])
    # Newest first, the oldest left out and counted.
    assert page.index(ids[2]) < page.index(ids[1])
    assert ids[0] not in page
    assert "1 older incidents are not shown" in page
