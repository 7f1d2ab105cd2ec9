"""The preflight's checks of the backends the lab does not publish: through Grafana with its
login, or directly (and without it) where PROMETHEUS_URL / ALERTMANAGER_URL say so."""

from __future__ import annotations

import base64

import pytest

from scenarios.lab_config import LabConfig
from scenarios.preflight import checks

pytestmark = pytest.mark.unit


def by_name(cfg: LabConfig) -> dict[str, dict[str, str]]:
    return {c.name: {"url": c.url, **dict(c.headers)} for c in checks(cfg)}


def test_backends_are_checked_through_grafana_with_its_login() -> None:
    cfg = LabConfig.from_sources({}, {"GRAFANA_ADMIN_PASSWORD": "pw"})
    got = by_name(cfg)
    login = "Basic " + base64.b64encode(b"admin:pw").decode()
    assert got["Prometheus"] == {
        "url": "http://127.0.0.1:3000/api/datasources/proxy/uid/prometheus/-/ready",
        "Authorization": login,
    }
    assert got["Alertmanager"] == {
        "url": "http://127.0.0.1:3000/api/datasources/proxy/uid/alertmanager/-/ready",
        "Authorization": login,
    }
    refusals = dict(next(c for c in checks(cfg) if c.name == "Prometheus").refusals)
    assert "GRAFANA_ADMIN_PASSWORD" in refusals[401]


def test_a_native_backend_is_checked_directly_without_the_grafana_login() -> None:
    env = {"PROMETHEUS_URL": "http://127.0.0.1:19090", "ALERTMANAGER_URL": "http://127.0.0.1:19093"}
    got = by_name(LabConfig.from_sources(env, {"GRAFANA_ADMIN_PASSWORD": "pw"}))
    assert got["Prometheus"] == {"url": "http://127.0.0.1:19090/-/ready"}
    assert got["Alertmanager"] == {"url": "http://127.0.0.1:19093/-/ready"}
