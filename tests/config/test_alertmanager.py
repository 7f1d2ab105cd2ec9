"""alertmanager/alertmanager.yml: valid for amtool, routes every alert of the rule files where
the README says, inhibits warnings under criticals on a real Alertmanager, renders its
templates, and its generated AWS (AMP, SNS-only) twin keeps the same routes."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from dashgen import amp
from dashgen.catalogue import rules
from tests.conftest import real_tool
from tests.support.alerting import ALERTMANAGER_CONFIG, category_outcomes, write_config
from tools.processes import free_port, run_alertmanager

pytestmark = pytest.mark.config

ROOT = Path(__file__).resolve().parents[2]
AIOPS_URL = "http://aiops:8001/alerts"


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(real_tool("amtool")), *args], capture_output=True, text=True, timeout=60
    )


def config() -> dict:
    return yaml.safe_load(ALERTMANAGER_CONFIG.read_text())


def test_amtool_check_config_passes() -> None:
    out = amtool("check-config", str(ALERTMANAGER_CONFIG))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_every_routed_receiver_is_the_aiops_webhook_with_resolved() -> None:
    cfg = config()
    routed = {r["receiver"] for r in cfg["route"]["routes"]} | {cfg["route"]["receiver"]}
    for receiver in cfg["receivers"]:
        if receiver["name"] not in routed:
            continue
        hooks = receiver.get("webhook_configs", [])
        assert [h["url"] for h in hooks] == [AIOPS_URL], receiver["name"]
        assert all(h["send_resolved"] is True for h in hooks), receiver["name"]
    assert set(cfg["route"]["group_by"]) >= {"alertname", "service_name"}


def expected_receiver(labels: dict[str, str]) -> str:
    # The table in alertmanager/README.md.
    if labels["severity"] == "critical":
        return "aiops-page"
    if labels["category"] == "cost":
        return "aiops-finops"
    if labels["category"] == "pipeline":
        return "aiops-pipeline"
    return {"warning": "aiops-ticket", "info": "aiops-info"}[labels["severity"]]


def route_test(config_path: Path, expected: str, labels: dict[str, str]) -> None:
    out = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config_path}",
        f"--verify.receivers={expected}",
        *(f"{k}={v}" for k, v in labels.items()),
    )
    assert out.returncode == 0, f"{labels} -> {out.stdout.strip()} (expected {expected})"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"alertname": "X", "severity": "critical", "category": "cost"}, "aiops-page"),
        ({"alertname": "X", "severity": "warning", "category": "cost"}, "aiops-finops"),
        ({"alertname": "X", "severity": "warning", "category": "pipeline"}, "aiops-pipeline"),
        ({"alertname": "X", "severity": "warning", "category": "latency"}, "aiops-ticket"),
        ({"alertname": "X", "severity": "info", "category": "security"}, "aiops-info"),
        ({"alertname": "X"}, "aiops-ticket"),
    ],
)
def test_routes_by_severity_then_category(labels: dict[str, str], expected: str) -> None:
    route_test(ALERTMANAGER_CONFIG, expected, labels)


def test_a_wrong_expectation_fails() -> None:
    out = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        "--verify.receivers=aiops-ticket",
        "severity=critical",
    )
    assert out.returncode != 0


def test_every_alert_in_the_rule_files_reaches_its_receiver() -> None:
    alerts = [r for r in rules() if "alert" in r]
    assert len(alerts) >= 14
    for a in alerts:
        # A templated category (AnomalyScoreHigh's) is tested with each value it can take.
        for category in category_outcomes(a["labels"]["category"]):
            labels = {"alertname": a["alert"], **a["labels"], "category": category}
            route_test(ALERTMANAGER_CONFIG, expected_receiver(labels), labels)


def test_x_ray_export_failures_never_page() -> None:
    # The optional X-Ray path fails by design without AWS credentials; it is recorded for the
    # pipeline's owner, never sent to the paging receiver.
    (alert,) = [r for r in rules() if r.get("alert") == "XRayExportFailing"]
    labels = {"alertname": alert["alert"], **alert["labels"]}
    assert labels["severity"] == "info"
    route_test(ALERTMANAGER_CONFIG, "aiops-pipeline", labels)


def test_the_readme_slack_route_is_valid_and_pages_both(tmp_path: Path) -> None:
    readme = (ROOT / "alertmanager" / "README.md").read_text()
    section = readme.split("## Slack", 1)[1].split("\n## ", 1)[0]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert snippet, "README has no Slack route snippet"
    route = yaml.safe_load(snippet.group(1))[0]
    cfg = config()
    cfg["route"]["routes"].insert(0, route)
    cfg["templates"] = [str(ALERTMANAGER_CONFIG.parent / t) for t in cfg["templates"]]
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = amtool("check-config", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    route_test(path, "slack-page,aiops-page", {"severity": "critical", "category": "latency"})
    route_test(path, "aiops-ticket", {"severity": "warning", "category": "latency"})


@pytest.mark.parametrize("name", ["genai.slack.title", "genai.slack.text", "genai.sns.message"])
def test_templates_render(name: str) -> None:
    out = amtool(
        "template",
        "render",
        f"--template.glob={ALERTMANAGER_CONFIG.parent / 'templates' / '*.tmpl'}",
        f'--template.text={{{{ template "{name}" . }}}}',
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_amp_definition_is_generated_from_the_local_config() -> None:
    assert amp.AMP_DEFINITION.read_text() == amp.render_amp_definition(), "run `make dashboards`"


def test_amp_definition_is_valid_sns_only_and_keeps_the_routes(tmp_path: Path) -> None:
    definition = yaml.safe_load(amp.AMP_DEFINITION.read_text())
    assert set(definition) == {"template_files", "alertmanager_config"}
    inner = yaml.safe_load(definition["alertmanager_config"])
    for name, body in definition["template_files"].items():
        (tmp_path / name).write_text(body)
    path = tmp_path / "amp.yml"
    path.write_text(definition["alertmanager_config"])
    out = amtool("check-config", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    for receiver in inner["receivers"]:
        integrations = set(receiver) - {"name"}
        assert integrations == {"sns_configs"}, receiver["name"]
        assert receiver["sns_configs"][0]["sigv4"]["region"]
    local = config()
    assert inner["route"] == local["route"]
    assert inner["inhibit_rules"] == local["inhibit_rules"]


def _alert(name: str, severity: str, category: str, service: str) -> dict:
    return {
        "labels": {
            "alertname": name,
            "severity": severity,
            "category": category,
            "service_name": service,
            "service_namespace": "genai-lab",
            "deployment_environment_name": "lab",
        },
        "annotations": {"summary": name},
    }


def test_criticals_inhibit_warnings_of_the_same_service_and_category(tmp_path: Path) -> None:
    # Notifications go to a closed local port: this test looks only at inhibition.
    path = write_config(f"http://127.0.0.1:{free_port()}", tmp_path / "am")
    with run_alertmanager(path, tmp_path / "am") as am:
        alerts = [
            _alert("AvailabilityFastBurn", "critical", "availability", "genai-service"),
            _alert("HighErrorRate", "warning", "availability", "genai-service"),
            _alert("HighLatencyP95", "warning", "latency", "genai-service"),
            _alert("HighErrorRate", "warning", "availability", "aiops"),
        ]
        r = httpx.post(f"{am.base_url}/api/v2/alerts", json=alerts, timeout=10)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 15
        state: dict[tuple[str, str], list[str]] = {}
        while time.monotonic() < deadline:
            got = httpx.get(f"{am.base_url}/api/v2/alerts", timeout=10).json()
            state = {
                (a["labels"]["alertname"], a["labels"]["service_name"]): a["status"]["inhibitedBy"]
                for a in got
            }
            if len(state) == 4 and state[("HighErrorRate", "genai-service")]:
                break
            time.sleep(0.2)
        assert state[("HighErrorRate", "genai-service")], state
        assert not state[("HighLatencyP95", "genai-service")], "other category: not inhibited"
        assert not state[("HighErrorRate", "aiops")], "other service: not inhibited"
        assert not state[("AvailabilityFastBurn", "genai-service")]
