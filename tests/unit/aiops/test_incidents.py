"""Grouping and idempotency: how notifications fold into incidents."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from aiops.incidents import apply_notification, delivery_key
from aiops.payload import WebhookPayload
from tests.support.aiops_fixtures import am_payload, load_json

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def test_first_firing_notification_opens_an_incident_with_the_alert_contract() -> None:
    inc, outcome = apply_notification([], am_payload("crash-firing"), NOW)
    assert outcome == "created" and inc is not None
    assert inc.alertname == "UnhandledExceptions"
    assert (inc.severity, inc.category, inc.status) == ("critical", "availability", "firing")
    assert inc.common_annotations["dashboard"] == "genai-service-overview"
    assert inc.analysis == "pending" and inc.revision == 1


def test_alertmanager_retry_is_a_duplicate_and_changes_nothing() -> None:
    inc, _ = apply_notification([], am_payload("crash-firing"), NOW)
    assert inc is not None
    again, outcome = apply_notification([inc], am_payload("crash-firing"), NOW + timedelta(1))
    assert outcome == "duplicate"
    assert again is inc and again.revision == 1


def test_resolved_notification_resolves_the_same_incident() -> None:
    inc, _ = apply_notification([], am_payload("crash-firing"), NOW)
    assert inc is not None
    resolved_payload = am_payload("crash-resolved")
    done, outcome = apply_notification([inc], resolved_payload, NOW)
    assert outcome == "resolved" and done is not None
    assert done.id == inc.id and done.status == "resolved"
    assert done.resolved_at == resolved_payload.alerts[0].endsAt
    assert done.revision == 2 and done.analysis == "pending"
    # The input is not mutated: the store decides what to keep.
    assert inc.status == "firing" and inc.revision == 1


def test_two_alerts_of_one_group_are_one_incident_resolving_only_when_both_do() -> None:
    firing = am_payload("latency-firing")
    inc, _ = apply_notification([], firing, NOW)
    assert inc is not None and len(inc.alerts) == 2
    body = load_json("alertmanager/latency-resolved.json")
    partial = copy.deepcopy(body)
    partial["status"] = "firing"
    partial["alerts"][1] = load_json("alertmanager/latency-firing.json")["alerts"][1]
    half, outcome = apply_notification([inc], WebhookPayload.model_validate(partial), NOW)
    assert outcome == "updated" and half is not None and half.status == "firing"
    done, outcome = apply_notification([half], WebhookPayload.model_validate(body), NOW)
    assert outcome == "resolved" and done is not None and done.id == inc.id


def test_resolved_for_a_group_with_no_open_incident_is_ignored() -> None:
    assert apply_notification([], am_payload("crash-resolved"), NOW) == (None, "ignored")


def test_firing_again_after_resolution_opens_a_new_incident() -> None:
    first, _ = apply_notification([], am_payload("crash-firing"), NOW)
    assert first is not None
    body = load_json("alertmanager/crash-firing.json")
    body["alerts"][0]["startsAt"] = "2026-11-22T07:00:00Z"
    # The resolved first incident is not open any more, so it is not offered.
    second, outcome = apply_notification([], WebhookPayload.model_validate(body), NOW)
    assert outcome == "created" and second is not None and second.id != first.id


def test_delivery_key_depends_on_status_and_fingerprints_not_on_order() -> None:
    firing = load_json("alertmanager/latency-firing.json")
    swapped = copy.deepcopy(firing)
    swapped["alerts"].reverse()
    key = delivery_key(WebhookPayload.model_validate(firing))
    assert key == delivery_key(WebhookPayload.model_validate(swapped))
    assert key != delivery_key(am_payload("latency-resolved"))
    assert key != delivery_key(am_payload("crash-firing"))


def test_incident_id_is_stable_for_the_same_group_and_start() -> None:
    a, _ = apply_notification([], am_payload("crash-firing"), NOW)
    b, _ = apply_notification([], am_payload("crash-firing"), NOW + timedelta(hours=1))
    assert a is not None and b is not None and a.id == b.id
