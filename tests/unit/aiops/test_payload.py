"""Real Alertmanager webhook bodies validate; malformed ones are refused field by field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from aiops.payload import WebhookPayload
from tests.support.aiops_fixtures import FIXTURES, load_json

pytestmark = pytest.mark.contract

CAPTURED = sorted(p.stem for p in (FIXTURES / "alertmanager").glob("*-*.json"))


def test_fixtures_were_captured() -> None:
    assert {"crash-firing", "crash-resolved", "latency-firing", "latency-resolved"} <= set(CAPTURED)
    assert load_json("alertmanager/meta.json")["alertmanager_version"].startswith("0.")


@pytest.mark.parametrize("name", CAPTURED)
def test_captured_payload_validates(name: str) -> None:
    body = load_json(f"alertmanager/{name}.json")
    payload = WebhookPayload.model_validate(body)
    assert payload.version == "4"
    assert payload.status == name.split("-")[1]
    assert [a.fingerprint for a in payload.alerts] == [a["fingerprint"] for a in body["alerts"]]
    for a in payload.alerts:
        assert a.startsAt.tzinfo is not None
        if a.status == "firing":
            # Alertmanager's "no end yet" is year 1, and it must parse rather than fail.
            assert a.endsAt.year == 1
        else:
            assert a.endsAt > a.startsAt


def _broken(change: str) -> dict[str, Any]:
    body = copy.deepcopy(load_json("alertmanager/crash-firing.json"))
    if change == "version":
        body["version"] = "3"
    elif change == "status":
        body["status"] = "pending"
    elif change == "no_alerts":
        body["alerts"] = []
    elif change == "no_fingerprint":
        del body["alerts"][0]["fingerprint"]
    elif change == "bad_time":
        body["alerts"][0]["startsAt"] = "yesterday"
    elif change == "label_not_string":
        body["alerts"][0]["labels"]["http_route"] = {"nested": True}
    elif change == "no_group_key":
        del body["groupKey"]
    return body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("version", "version"),
        ("status", "status"),
        ("no_alerts", "alerts"),
        ("no_fingerprint", "alerts.0.fingerprint"),
        ("bad_time", "alerts.0.startsAt"),
        ("label_not_string", "alerts.0.labels.http_route"),
        ("no_group_key", "groupKey"),
    ],
)
def test_malformed_payload_is_refused_at_the_right_field(change: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        WebhookPayload.model_validate(_broken(change))
    locs = {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}
    assert field in locs


def test_unknown_extra_fields_from_newer_alertmanager_are_tolerated() -> None:
    body = load_json("alertmanager/crash-firing.json")
    body["someFutureField"] = {"x": 1}
    assert WebhookPayload.model_validate(body).groupKey == body["groupKey"]
