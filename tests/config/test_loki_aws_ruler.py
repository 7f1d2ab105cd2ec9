"""The per-user budget alert on AWS, where there is no Alertmanager container.

Loki 3.7's ruler cannot SigV4-sign notifications for AMP's alert manager (its Alertmanager
client has TLS, basic auth and a static Authorization header only), but its remote_write can. So
on AWS Loki records each user over the budget, remote-writes the series to AMP, and AMP's ruler
raises UserOverDailyBudget with the labels and annotations of the local Loki alert. These tests
hold the halves together with the real promtool (the AMP rule fires on Loki's 5-minute samples
without flapping) and amtool (the AMP alert manager definition routes it to SNS like the rest).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashgen import amp
from tests.config.lab import raw_compose
from tests.conftest import ROOT, real_tool

pytestmark = pytest.mark.config

LOKI_LOCAL = ROOT / "loki" / "loki.yaml"
LOKI_AWS = ROOT / "loki" / "loki.aws.yaml"
LOCAL_RULES = ROOT / "loki" / "rules" / "fake" / "genai-call-records.yaml"
AWS_RULES_DIR = ROOT / "loki" / "aws" / "rules"
AWS_RULES = AWS_RULES_DIR / "fake" / "genai-call-records.yaml"
AMP_RULES = ROOT / "loki" / "aws" / "amp-rules.yml"
LOKI_DOCKERFILE = ROOT / "infra" / "images" / "loki.Dockerfile"
RECORD = "genai_lab:user_cost_usd_24h:over_budget"
ALERT = "UserOverDailyBudget"
# Labels Loki's recording rule keeps (its `sum by`), so the AMP alert carries them.
SERIES_LABELS = {
    "deployment_environment_name": "lab",
    "service_name": "genai-service",
    "tenant_id": "acme",
    "user_id": "u_0123456789abcdef",
}


def rules_of(path: Path) -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]


def one(rules: list[dict[str, Any]], key: str, name: str) -> dict[str, Any]:
    (rule,) = [r for r in rules if r.get(key) == name]
    return rule


def aws_ruler() -> dict[str, Any]:
    return yaml.safe_load(LOKI_AWS.read_text())["ruler"]


def test_the_aws_ruler_does_not_notify_the_compose_only_alertmanager() -> None:
    # No `alertmanager` host exists on ECS, and AMP's alert manager answers only signed requests:
    # a URL here would drop every alert silently.
    ruler = aws_ruler()
    assert "alertmanager_url" not in ruler, ruler.get("alertmanager_url")
    # Locally the ruler still notifies the lab's Alertmanager itself.
    local = yaml.safe_load(LOKI_LOCAL.read_text())["ruler"]
    assert local["alertmanager_url"] == "http://alertmanager:9093"


def test_the_aws_ruler_remote_writes_to_amp_with_sigv4_from_the_environment() -> None:
    ruler = aws_ruler()
    rw = ruler["remote_write"]
    assert rw["enabled"] is True
    # AMP fails the signature check when Loki adds X-Scope-OrgID (grafana/loki#11819).
    assert rw["add_org_id_header"] is False
    (client,) = rw["clients"].values()
    assert client["url"] == "${AMP_REMOTE_WRITE_URL}"
    # Region from the environment, credentials from the default chain (the task role).
    assert client["sigv4"] == {"region": "${AWS_REGION}"}
    # The WAL of recorded samples lives on the writable /loki volume, not the image's cwd.
    assert ruler["wal"]["dir"].startswith("/loki/")
    # Apart from where alerts go, the two rulers are the same.
    local = yaml.safe_load(LOKI_LOCAL.read_text())["ruler"]
    for key in ("alertmanager_url", "enable_alertmanager_v2"):
        local.pop(key)
    for key in ("wal", "remote_write"):
        ruler.pop(key)
    assert local == ruler


def test_the_aws_rules_are_where_the_aws_ruler_reads_them() -> None:
    directory = aws_ruler()["storage"]["local"]["directory"]
    assert f"COPY loki/aws/rules {directory}" in LOKI_DOCKERFILE.read_text()
    overlay = raw_compose(ROOT / "docker-compose.aws.yml")["services"]["loki"]
    assert f"./loki/aws/rules:{directory}:ro" in overlay["volumes"]
    assert "AMP_REMOTE_WRITE_URL" in overlay["environment"]
    # "fake" is the tenant with auth_enabled: false, as for the local rules.
    assert sorted(
        p.relative_to(AWS_RULES_DIR).as_posix() for p in AWS_RULES_DIR.rglob("*.yaml")
    ) == ["fake/genai-call-records.yaml"]


def test_the_recording_rule_is_the_local_alert_expression() -> None:
    local = one(rules_of(LOCAL_RULES), "alert", ALERT)
    (record,) = rules_of(AWS_RULES)
    assert record["record"] == RECORD
    # The same LogQL, threshold included: only users over budget become series in AMP.
    assert record["expr"] == local["expr"]
    local_group = yaml.safe_load(LOCAL_RULES.read_text())["groups"][0]
    aws_group = yaml.safe_load(AWS_RULES.read_text())["groups"][0]
    assert aws_group["interval"] == local_group["interval"] == "5m"


def test_the_amp_alert_is_the_loki_alert_on_the_recorded_series() -> None:
    out = subprocess.run(
        [str(real_tool("promtool")), "check", "rules", str(AMP_RULES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    local = one(rules_of(LOCAL_RULES), "alert", ALERT)
    alert = one(rules_of(AMP_RULES), "alert", ALERT)
    assert RECORD in alert["expr"]
    assert alert["labels"] == local["labels"]
    assert alert["annotations"] == local["annotations"]


# Loki's samples as AMP receives them, a minute apart: at 0, 6 (an evaluation a minute late: a
# slow 24-hour scan, remote-write retries) and 11 minutes.
SAMPLES = "31.5 _x5 31.5 _x4 31.5"


def promtool_test(
    tmp_path: Path, eval_time: str, alerts: list[dict], rules: Path = AMP_RULES
) -> str:
    """promtool's verdict on the AMP rule over SAMPLES: '' if the alerts are as expected."""
    labels = ",".join(f'{k}="{v}"' for k, v in SERIES_LABELS.items())
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": f"{RECORD}{{{labels}}}", "values": SAMPLES}],
                "alert_rule_test": [
                    {"eval_time": eval_time, "alertname": ALERT, "exp_alerts": alerts}
                ],
            }
        ],
    }
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    out = subprocess.run(
        [str(real_tool("promtool")), "test", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout + out.stderr if out.returncode else ""


def firing(value: float) -> dict[str, Any]:
    local = one(rules_of(LOCAL_RULES), "alert", ALERT)
    user, tenant = SERIES_LABELS["user_id"], SERIES_LABELS["tenant_id"]
    return {
        "exp_labels": {**SERIES_LABELS, **local["labels"]},
        "exp_annotations": {
            "summary": f"User {user} of tenant {tenant} spent over USD 25 in 24 hours",
            "description": f"Pseudonymous user {user} (tenant {tenant}) has spent USD {value:.2f}"
            " in the last 24 hours, above the per-user budget of USD 25.",
            "runbook_url": local["annotations"]["runbook_url"],
            "dashboard": local["annotations"]["dashboard"],
        },
    }


@pytest.mark.parametrize("eval_time", ["0m", "5m", "10m", "20m"])
def test_the_amp_alert_keeps_firing_between_loki_samples(tmp_path: Path, eval_time: str) -> None:
    failure = promtool_test(tmp_path, eval_time, [firing(31.5)])
    assert not failure, failure


def test_a_bare_selector_would_resolve_between_late_samples(tmp_path: Path) -> None:
    # Why the rule uses last_over_time: at 5 minutes the sample at 0 is past PromQL's 5-minute
    # lookback and the late one has not come, so the alert would resolve and fire again.
    bare = tmp_path / "bare.yml"
    groups = yaml.safe_load(AMP_RULES.read_text())
    groups["groups"][0]["rules"][0]["expr"] = RECORD
    bare.write_text(yaml.safe_dump(groups, sort_keys=False))
    assert not promtool_test(tmp_path, "5m", [], rules=bare)
    assert promtool_test(tmp_path, "5m", [], rules=AMP_RULES)


def test_the_amp_alert_resolves_once_loki_stops_recording_the_user(tmp_path: Path) -> None:
    # The last sample is at 11 minutes: once the user is under budget Loki records nothing and
    # the alert resolves 10 minutes later.
    failure = promtool_test(tmp_path, "22m", [])
    assert not failure, failure


def test_the_amp_alert_manager_routes_the_alert_to_the_finops_sns_receiver(
    tmp_path: Path,
) -> None:
    definition = yaml.safe_load(amp.AMP_DEFINITION.read_text())
    for name, body in definition["template_files"].items():
        (tmp_path / name).write_text(body)
    path = tmp_path / "amp.yml"
    path.write_text(definition["alertmanager_config"])
    alert = one(rules_of(AMP_RULES), "alert", ALERT)
    labels = {"alertname": ALERT, **SERIES_LABELS, **alert["labels"]}

    def route(expected: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(real_tool("amtool")),
                "config",
                "routes",
                "test",
                f"--config.file={path}",
                f"--verify.receivers={expected}",
                *(f"{k}={v}" for k, v in labels.items()),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    out = route("aiops-finops")
    assert out.returncode == 0, out.stdout + out.stderr
    assert route("aiops-ticket").returncode != 0
    receivers = {
        r["name"]: r for r in yaml.safe_load(definition["alertmanager_config"])["receivers"]
    }
    assert set(receivers["aiops-finops"]) == {"name", "sns_configs"}
