"""The CLI finds the lab from .env, and the environment overrides it."""

from __future__ import annotations

import pytest

from scenarios.lab_config import LabConfig, parse_dotenv

pytestmark = pytest.mark.unit


def test_parse_dotenv_handles_comments_quotes_and_export() -> None:
    text = "# c\n\nADMIN_TOKEN='abc'\nexport LOCUST_PORT=18089\nBAD LINE\nX=\"a=b\"\n"
    assert parse_dotenv(text) == {"ADMIN_TOKEN": "abc", "LOCUST_PORT": "18089", "X": "a=b"}


def test_ports_from_dotenv_and_urls_from_environment_win() -> None:
    dotenv = {"ADMIN_TOKEN": "t1", "LOCUST_PORT": "18089", "GENAI_SERVICE_PORT": "18000"}
    cfg = LabConfig.from_sources({}, dotenv)
    assert cfg.service_url == "http://127.0.0.1:18000"
    assert cfg.locust_url == "http://127.0.0.1:18089"
    assert cfg.admin_token == "t1"
    cfg = LabConfig.from_sources(
        {"GENAI_SERVICE_URL": "http://svc:9/", "ADMIN_TOKEN": "t2"}, dotenv
    )
    assert cfg.service_url == "http://svc:9"
    assert cfg.admin_token == "t2"


def test_template_placeholder_is_not_a_token_and_any_bind_address_means_loopback() -> None:
    cfg = LabConfig.from_sources({}, {"ADMIN_TOKEN": "__generate__", "BIND_ADDRESS": "0.0.0.0"})
    assert cfg.admin_token == ""
    assert cfg.grafana_url == "http://127.0.0.1:3000"


def test_prometheus_and_alertmanager_are_read_through_grafana_by_default() -> None:
    # The lab publishes neither (README "URLs and ports"): their opt-in ports in .env are not
    # a reason to call them directly.
    dotenv = {"GRAFANA_PORT": "3300", "PROMETHEUS_PORT": "9090", "ALERTMANAGER_PORT": "9093"}
    dotenv["GRAFANA_ADMIN_PASSWORD"] = "pw"
    cfg = LabConfig.from_sources({}, dotenv)
    proxy = "http://127.0.0.1:3300/api/datasources/proxy/uid/"
    assert cfg.prometheus_url == proxy + "prometheus"
    assert cfg.alertmanager_url == proxy + "alertmanager"
    assert cfg.auth_for(cfg.prometheus_url) == ("admin", "pw")
    assert cfg.auth_for(cfg.alertmanager_url) == ("admin", "pw")


def test_an_explicit_backend_url_wins_and_never_gets_the_grafana_login() -> None:
    env = {"PROMETHEUS_URL": "http://127.0.0.1:19090/", "ALERTMANAGER_URL": "http://am:9093"}
    cfg = LabConfig.from_sources(env, {"GRAFANA_ADMIN_PASSWORD": "pw"})
    assert cfg.prometheus_url == "http://127.0.0.1:19090"
    assert cfg.alertmanager_url == "http://am:9093"
    assert cfg.auth_for(cfg.prometheus_url) is None
    assert cfg.auth_for(cfg.alertmanager_url) is None
    # A host that merely starts with Grafana's address is another host.
    assert cfg.auth_for("http://127.0.0.1:30001/api") is None
    assert cfg.auth_for("http://127.0.0.1:3000/api/health") == ("admin", "pw")
