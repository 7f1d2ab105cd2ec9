"""aiops's HTML view in process: the Grafana links it builds and the settings it reads."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from aiops.incidents import Summary
from aiops.settings import Settings
from aiops.web import grafana_links
from tests.support.aiops_fixtures import incident

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
