"""Publishers: the Grafana annotation and Slack bodies, sent to a real HTTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from aiops.incidents import apply_notification
from aiops.publish import grafana, slack
from aiops.settings import Settings
from aiops.summarise import offline
from tests.support.aiops_fixtures import am_payload, context, incident
from tools.recorder import recording_server

pytestmark = pytest.mark.unit


def _summarised(name: str = "crash-firing"):  # type: ignore[no-untyped-def]
    inc = incident(name)
    return inc.model_copy(update={"summary": offline.summarise(inc, context("crash"), None)})


def test_annotation_body_targets_the_alert_dashboard_as_a_region_once_resolved() -> None:
    inc = _summarised()
    body = grafana.annotation_body(inc)
    assert body["dashboardUID"] == "genai-service-overview"
    assert body["time"] == int(inc.started_at.timestamp() * 1000)
    assert "timeEnd" not in body
    assert body["tags"] == ["aiops", "UnhandledExceptions", "critical", "availability"]
    assert "Likely cause: Unhandled RuntimeError raised by /crash" in body["text"]
    done, _ = apply_notification([inc], am_payload("crash-resolved"), datetime.now(UTC))
    assert done is not None
    assert grafana.annotation_body(done)["timeEnd"] > body["time"]


def test_auth_prefers_a_service_account_token_then_basic_auth() -> None:
    assert grafana.auth_headers(Settings(grafana_token="glsa_x")) == {
        "Authorization": "Bearer glsa_x"
    }
    basic = grafana.auth_headers(Settings(grafana_user="admin", grafana_password="pw"))
    assert basic == {"Authorization": "Basic YWRtaW46cHc="}
    assert grafana.auth_headers(Settings()) == {}


async def test_annotation_is_created_then_patched_on_the_same_id() -> None:
    inc = _summarised()
    with recording_server() as rec:
        rec.responses["POST"] = (200, {"message": "Annotation added", "id": 42})
        settings = Settings(grafana_url=rec.base_url, grafana_token="t")
        async with httpx.AsyncClient(timeout=5) as client:
            ann_id = await grafana.publish(client, settings, inc)
            assert ann_id == "42"
            inc.publications["grafana_annotation_id"] = ann_id
            await grafana.publish(client, settings, inc)
        first, second = rec.requests
    assert (first.method, first.path) == ("POST", "/api/annotations")
    assert first.headers["Authorization"] == "Bearer t"
    assert first.json()["dashboardUID"] == "genai-service-overview"
    assert (second.method, second.path) == ("PATCH", "/api/annotations/42")


async def test_grafana_refusal_raises_so_the_pipeline_can_record_it() -> None:
    with recording_server() as rec:
        rec.responses["POST"] = (401, {"message": "Unauthorized"})
        async with httpx.AsyncClient(timeout=5) as client:
            with pytest.raises(httpx.HTTPStatusError):
                await grafana.publish(client, Settings(grafana_url=rec.base_url), _summarised())


async def test_slack_message_is_the_short_summary() -> None:
    inc = _summarised()
    with recording_server() as rec:
        async with httpx.AsyncClient(timeout=5) as client:
            await slack.publish(client, rec.base_url + "/hook", inc)
        (req,) = rec.requests
    text = req.json()["text"]
    assert text.startswith("[FIRING] UnhandledExceptions (critical)")
    assert "/crash" in text and inc.id in text
