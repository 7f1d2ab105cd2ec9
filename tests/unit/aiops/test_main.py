"""The aiops app in process (main.py, pipeline.py, store.py): recorded Alertmanager webhooks in,
incidents out, backends down or recorded. tests/e2e/test_aiops_api.py runs the same service as a
real process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.aiops_fixtures import load_json
from tests.support.aiops_service import WEBHOOK_AUTH, aiops_in_process, closed_url, wait_incident
from tools.recorder import recording_server

pytestmark = pytest.mark.contract


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")


@pytest.fixture
def client(tmp_path: Path, quiet: None) -> Iterator[TestClient]:
    with aiops_in_process(tmp_path) as c:
        yield c


def test_ready_once_the_store_is_open(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "incidents_dir": str(tmp_path)}


def test_firing_retry_summary_and_resolve(client: TestClient, tmp_path: Path) -> None:
    firing = load_json("alertmanager/crash-firing.json")
    created = client.post("/alerts", json=firing).json()
    assert created["outcome"] == "created"
    inc_id = created["incident_id"]
    assert client.post("/alerts", json=firing).json() == {
        "outcome": "duplicate",
        "incident_id": inc_id,
    }
    summary = wait_incident(client, inc_id)["summary"]
    assert summary["route"] == "/crash"
    assert [u.split(" ", 1)[0] for u in summary["unavailable"]] == ["prometheus", "loki", "tempo"]
    listing = client.get("/incidents").json()
    assert [i["id"] for i in listing] == [inc_id] and listing[0]["alert_count"] == 1
    assert "markdown" not in listing[0]

    resolved = load_json("alertmanager/crash-resolved.json")
    assert client.post("/alerts", json=resolved).json() == {
        "outcome": "resolved",
        "incident_id": inc_id,
    }
    done = wait_incident(client, inc_id, status="resolved")
    assert "**Status:** resolved" in done["markdown"]
    assert (tmp_path / f"{inc_id}.md").read_text().count("**Status:** resolved") == 1


def test_a_new_app_on_the_same_directory_keeps_the_incidents(tmp_path: Path, quiet: None) -> None:
    firing = load_json("alertmanager/crash-firing.json")
    with aiops_in_process(tmp_path) as first:
        inc_id = first.post("/alerts", json=firing).json()["incident_id"]
        wait_incident(first, inc_id)
    with aiops_in_process(tmp_path) as second:
        assert [i["id"] for i in second.get("/incidents").json()] == [inc_id]
        assert second.post("/alerts", json=firing).json()["outcome"] == "duplicate"


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"not json", 400, "not_json"),
        (b'{"version": "3"}', 422, "schema"),
        (b"[]", 422, "schema"),
    ],
)
def test_bad_payload_gets_a_4xx_json_answer_and_creates_nothing(
    client: TestClient, body: bytes, status: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        r = client.post("/alerts", content=body, headers={"Content-Type": "application/json"})
    assert "alert_payload_rejected" in caplog.text
    assert r.status_code == status
    assert r.json()["reason"] == reason
    assert client.get("/incidents").json() == []
    assert client.get("/incidents/nope").status_code == 404


def test_publishes_to_grafana_and_slack_and_updates_on_resolve(tmp_path: Path, quiet: None) -> None:
    with recording_server() as grafana, recording_server() as chat:
        grafana.responses["POST"] = (200, {"message": "Annotation added", "id": 7})
        overrides = {
            "grafana_url": grafana.base_url,
            "grafana_token": "glsa_test",
            "slack_webhook_url": chat.base_url + "/services/T/B/X",
        }
        with aiops_in_process(tmp_path, **overrides) as client:
            firing = load_json("alertmanager/latency-firing.json")
            inc_id = client.post("/alerts", json=firing).json()["incident_id"]
            inc = wait_incident(client, inc_id)
            assert inc["publications"]["grafana_annotation_id"] == "7"
            client.post("/alerts", json=load_json("alertmanager/latency-resolved.json"))
            wait_incident(client, inc_id, status="resolved")
        post, patch = grafana.wait_for(2)
        assert (post.method, post.path, patch.method, patch.path) == (
            "POST",
            "/api/annotations",
            "PATCH",
            "/api/annotations/7",
        )
        assert post.json()["dashboardUID"] == "genai-service-overview"
        assert "timeEnd" in patch.json() and "timeEnd" not in post.json()
        messages = [r.json()["text"] for r in chat.wait_for(2)]
        assert messages[0].startswith("[FIRING] HighLatencyP95")
        assert messages[1].startswith("[RESOLVED] HighLatencyP95")


def test_grafana_down_does_not_lose_the_incident(tmp_path: Path, quiet: None) -> None:
    with aiops_in_process(tmp_path, grafana_url=closed_url()) as client:
        firing = load_json("alertmanager/crash-firing.json")
        inc_id = client.post("/alerts", json=firing).json()["incident_id"]
        inc = wait_incident(client, inc_id)
    assert "ConnectError" in inc["publications"]["grafana_error"]
    assert (tmp_path / f"{inc_id}.md").exists()


def test_concurrent_retries_create_one_incident(client: TestClient, tmp_path: Path) -> None:
    firing = load_json("alertmanager/latency-firing.json")
    app = client.app

    async def burst() -> list[str]:
        # On the app's own event loop, as uvicorn would interleave them.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://aiops", headers=WEBHOOK_AUTH
        ) as http:
            answers = await asyncio.gather(*(http.post("/alerts", json=firing) for _ in range(8)))
        return sorted(str(r.json()["outcome"]) for r in answers)

    assert client.portal is not None
    assert client.portal.call(burst) == ["created"] + ["duplicate"] * 7
    assert len(client.get("/incidents").json()) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1
