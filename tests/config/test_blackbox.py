"""The synthetic probes: the blackbox exporter's modules pass the real exporter's check, and
Prometheus probes every health endpoint the issue names, through the exporter, with the labels
the availability rules select on."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.conftest import real_tool
from tools.processes import ROOT

pytestmark = pytest.mark.config

CONFIG = ROOT / "blackbox" / "blackbox.yml"
# What must be probed, with its tier (rules/availability.yml: service pages, backend warns).
EXPECTED = {
    "http://genai-service:8000/readyz": ("genai-service", "service"),
    "http://aiops:8001/readyz": ("aiops", "service"),
    "http://grafana:3000/api/health": ("grafana", "backend"),
    "http://loki:3100/ready": ("loki", "backend"),
    "http://tempo:3200/ready": ("tempo", "backend"),
    "http://adot:13133/": ("adot", "backend"),
}


def test_modules_pass_the_real_exporters_check() -> None:
    out = subprocess.run(
        [str(real_tool("blackbox_exporter")), f"--config.file={CONFIG}", "--config.check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Config file is ok" in out.stdout + out.stderr


def test_health_module_times_out_before_the_scrape_does() -> None:
    module = yaml.safe_load(CONFIG.read_text())["modules"]["http_health"]
    prom = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    scrape_timeout = prom["global"]["scrape_timeout"]
    assert int(module["timeout"].rstrip("s")) < int(scrape_timeout.rstrip("s"))
    assert module["http"]["valid_status_codes"] == [200]
    assert module["http"]["follow_redirects"] is False


def test_prometheus_probes_every_health_endpoint_through_the_exporter() -> None:
    prom = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "blackbox"]
    assert job["metrics_path"] == "/probe"
    assert job["params"]["module"] == ["http_health"]
    probed = {
        target: (group["labels"]["service_name"], group["labels"]["probe_tier"])
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert probed == EXPECTED
    relabel = job["relabel_configs"]
    assert {"source_labels": ["__address__"], "target_label": "__param_target"} in relabel
    assert relabel[-1] == {"target_label": "__address__", "replacement": "blackbox-exporter:9115"}
