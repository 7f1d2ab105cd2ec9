"""aiops under abuse: unauthenticated writes, oversized and deeply nested bodies, impossible
times, a payload that carries its own PromQL, and a store too big to load at start."""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from aiops.gather.collect import gather
from aiops.incidents import apply_notification
from aiops.payload import WebhookPayload
from aiops.settings import Settings
from aiops.store import IncidentStore
from tests.support.aiops_fixtures import load_json
from tests.support.aiops_service import WEBHOOK_AUTH, closed_url, run_aiops
from tools.processes import ROOT, run_prometheus

pytestmark = pytest.mark.e2e

EVIL = 'count({__name__=~".+"}) * on() group_left() vector(1)'


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _post(base_url: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    auth = WEBHOOK_AUTH if headers is None else headers
    return httpx.post(
        base_url + "/alerts",
        content=body,
        headers={"Content-Type": "application/json", **auth},
        timeout=30,
    )


# ---------------------------------------------------------------------------- 14: auth
def test_writes_need_the_bearer_token_and_reads_stay_open(tmp_path: Path) -> None:
    firing = json.dumps(load_json("alertmanager/crash-firing.json")).encode()
    with run_aiops(tmp_path) as aiops:
        assert _post(aiops.base_url, firing, {}).status_code == 401
        wrong = _post(aiops.base_url, firing, {"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["reason"] == "unauthorized"
        assert httpx.get(aiops.base_url + "/incidents").json() == []
        ok = _post(aiops.base_url, firing)
        assert ok.status_code == 200 and ok.json()["outcome"] == "created"
        assert len(httpx.get(aiops.base_url + "/incidents").json()) == 1
    assert "nope" not in aiops.output()


def test_without_a_configured_token_every_write_is_refused(tmp_path: Path) -> None:
    firing = json.dumps(load_json("alertmanager/crash-firing.json")).encode()
    with run_aiops(tmp_path, AIOPS_WEBHOOK_TOKEN="") as aiops:
        r = _post(aiops.base_url, firing, {"Authorization": "Bearer guess"})
        assert r.status_code == 403 and r.json()["reason"] == "writes_disabled"
        assert "AIOPS_WEBHOOK_TOKEN" in r.json()["error"]
        assert httpx.get(aiops.base_url + "/incidents").json() == []


# ---------------------------------------------------------------------------- 15, 16: bounds
def _payload_with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(load_json("alertmanager/crash-firing.json"))
    for key, value in changes.items():
        body[key] = value
    return body


def test_oversized_deep_and_out_of_range_payloads_get_clean_4xx(tmp_path: Path) -> None:
    base = load_json("alertmanager/crash-firing.json")
    alert = base["alerts"][0]
    many = [{**alert, "fingerprint": f"{i:016x}"} for i in range(1000)]
    long_label = {**alert, "labels": {**alert["labels"], "blob": "x" * 100_000}}
    cases: dict[str, tuple[bytes, int, str]] = {
        "50 MB": (b'{"pad": "' + b"x" * (50 * 1024 * 1024) + b'"}', 413, "too_large"),
        "200,000 deep": (b"[" * 200_000 + b"]" * 200_000, 400, "too_deep"),
        "1000 alerts": (json.dumps(_payload_with(alerts=many)).encode(), 422, "schema"),
        "100 kB label": (json.dumps(_payload_with(alerts=[long_label])).encode(), 422, "schema"),
    }
    for year in ("0001", "9999"):
        bad = {**alert, "startsAt": f"{year}-01-01T00:00:00Z"}
        cases[f"startsAt {year}"] = (
            json.dumps(_payload_with(alerts=[bad])).encode(),
            422,
            "schema",
        )
    with run_aiops(tmp_path) as aiops:
        before = _rss_mb(aiops.popen.pid)
        for name, (body, status, reason) in cases.items():
            r = _post(aiops.base_url, body)
            assert (r.status_code, r.json()["reason"]) == (status, reason), (name, r.text[:300])
        grown = _rss_mb(aiops.popen.pid) - before
        assert httpx.get(aiops.base_url + "/healthz").status_code == 200
        assert httpx.get(aiops.base_url + "/incidents").json() == []
    assert grown < 40, f"RSS grew {grown:.0f} MB"
    assert list(tmp_path.glob("*.json")) == []
    assert "Traceback" not in aiops.output()


def test_an_incident_keeps_a_bounded_number_of_alerts() -> None:
    base = load_json("alertmanager/crash-firing.json")
    alert = base["alerts"][0]
    incident = None
    for batch in range(3):
        alerts = [{**alert, "fingerprint": f"{batch:02d}{i:014x}"} for i in range(60)]
        payload = WebhookPayload.model_validate(_payload_with(alerts=alerts))
        incident, _ = apply_notification([incident] if incident else [], payload, datetime.now(UTC))
    assert incident is not None
    assert len(incident.alerts) == 100 and incident.alerts_dropped == 80


def test_a_big_store_is_indexed_not_loaded(tmp_path: Path) -> None:
    firing = WebhookPayload.model_validate(load_json("alertmanager/crash-firing.json"))
    template, _ = apply_notification([], firing, datetime.now(UTC))
    assert template is not None
    for i in range(50):
        record = template.model_copy(
            update={
                "id": f"20260101T0000{i:02d}Z-0000000{i % 10}",
                "created_at": datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC),
            }
        )
        (tmp_path / f"{record.id}.json").write_text(record.model_dump_json())
    # A record from before the limits: 12 MB, over limits.MAX_RECORD_BYTES.
    huge = template.model_copy(
        update={"id": "20250101T000000Z-deadbeef", "markdown": "x" * (12 * 1024 * 1024)}
    )
    (tmp_path / f"{huge.id}.json").write_text(huge.model_dump_json())

    store = IncidentStore(tmp_path, cache_bytes=64 * 1024)
    assert len(store) == 50 and store.get(huge.id) is None
    assert [r["id"] for r in store.rows(3)] == [
        "20260101T000049Z-00000009",
        "20260101T000048Z-00000008",
        "20260101T000047Z-00000007",
    ]
    assert "markdown" not in store.rows(1)[0]
    assert store._cached_bytes == 0  # nothing but the index was kept
    for row in store.rows():
        assert store.get(str(row["id"])) is not None
    assert store._cached_bytes <= 64 * 1024


def test_aiops_starts_on_a_store_with_an_oversized_record(tmp_path: Path) -> None:
    firing = WebhookPayload.model_validate(load_json("alertmanager/crash-firing.json"))
    template, _ = apply_notification([], firing, datetime.now(UTC))
    assert template is not None
    huge = template.model_copy(update={"markdown": "x" * (60 * 1024 * 1024)})
    (tmp_path / f"{huge.id}.json").write_text(huge.model_dump_json())
    with run_aiops(tmp_path) as aiops:
        rss = _rss_mb(aiops.popen.pid)
        assert httpx.get(aiops.base_url + "/incidents").json() == []
    assert rss < 150, f"aiops started at {rss:.0f} MB RSS"
    assert "incident_record_too_large" in aiops.output()


# ---------------------------------------------------------------------------- 17: PromQL
def test_queries_come_from_prometheus_rules_never_from_the_generator_url(tmp_path: Path) -> None:
    rules = "".join(f"  - {p}\n" for p in sorted((ROOT / "prometheus" / "rules").glob("*.yml")))
    query_log = tmp_path / "queries.log"
    config = f"global:\n  query_log_file: {query_log}\nrule_files:\n{rules}"
    body = copy.deepcopy(load_json("alertmanager/crash-firing.json"))
    for a in body["alerts"]:
        a["labels"]["alertname"] = "CrashStorm"
        a["generatorURL"] = "http://prometheus:9090/graph?g0.expr=" + quote(EVIL)
    body["commonLabels"]["alertname"] = "CrashStorm"
    incident, _ = apply_notification([], WebhookPayload.model_validate(body), datetime.now(UTC))
    assert incident is not None
    unknown = incident.model_copy(update={"alertname": 'Nope"}) or vector(1'})

    with run_prometheus(config, tmp_path / "prom") as prom:
        settings = Settings(
            prometheus_url=prom.base_url, loki_url=closed_url(), tempo_url=closed_url()
        )

        async def both() -> tuple[Any, Any]:
            async with httpx.AsyncClient(timeout=5) as client:
                now = datetime.now(UTC)
                return (
                    await gather(incident, settings, client, now),
                    await gather(unknown, settings, client, now),
                )

        import asyncio

        known_ctx, unknown_ctx = asyncio.run(both())
    ran = [json.loads(line)["params"]["query"] for line in query_log.read_text().splitlines()]
    assert ran and not [q for q in ran if "__name__" in q or "vector(1)" in q]
    assert known_ctx.alert_expr is not None and 'http_route="/crash"' in known_ctx.alert_expr
    assert known_ctx.alert_threshold == "> 20" or known_ctx.alert_threshold is None
    assert unknown_ctx.alert_expr is None
    assert os.path.getsize(query_log) > 0


def test_a_huge_log_line_is_quoted_bounded() -> None:
    from aiops import limits
    from aiops.gather import loki

    entry = loki.parse_entry(
        {"detected_level": "error"}, "1764100000000000000", "boom " + "x" * 300_000
    )
    assert entry.message.startswith("boom") and len(entry.message) == limits.MAX_EVIDENCE_TEXT
