"""The start-up step that gives aiops a Grafana service-account token instead of the admin
password, against a server answering as Grafana's service-account API documents
(docs/sources/developer-resources/api-reference/http-api/serviceaccount.md)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from aiops import grafana_token
from tests.support.aiops_fixtures import load_json
from tests.support.aiops_service import WEBHOOK_AUTH, run_aiops, wait_incident
from tests.support.moto_env import fake_aws_environment
from tools.processes import ROOT
from tools.recorder import Recorder, recording_server

pytestmark = pytest.mark.contract

PASSWORD = "grafana-admin-password-0123"
KEY = "glsa_aiopsTestKey0123456789_abcdef"


def _grafana(recorder: Recorder, *, exists: bool) -> None:
    accounts = (
        [
            {
                "id": 4,
                "name": "aiops-annotations",
                "login": "sa-aiops-annotations",
                "orgId": 1,
                "isDisabled": False,
                "role": "Editor",
                "tokens": 1,
                "avatarUrl": "/avatar/x",
            }
        ]
        if exists
        else []
    )
    recorder.routes = {
        ("GET", "/api/serviceaccounts/search"): (
            200,
            {"totalCount": len(accounts), "serviceAccounts": accounts, "page": 1, "perPage": 100},
        ),
        ("POST", "/api/serviceaccounts"): (
            201,
            {
                "id": 4,
                "name": "aiops-annotations",
                "login": "sa-aiops-annotations",
                "orgId": 1,
                "isDisabled": False,
                "createdAt": "2026-11-26T10:00:00Z",
                "updatedAt": "2026-11-26T10:00:00Z",
                "avatarUrl": "/avatar/x",
                "role": "Editor",
                "teams": [],
            },
        ),
        ("GET", "/api/serviceaccounts/4/tokens"): (
            200,
            [
                {
                    "id": 9,
                    "name": "aiops-1764100000",
                    "role": "Editor",
                    "created": "2026-11-25T10:00:00Z",
                    "expiration": None,
                    "secondsUntilExpiration": 0,
                    "hasExpired": False,
                }
            ]
            if exists
            else [],
        ),
        ("POST", "/api/serviceaccounts/4/tokens"): (
            200,
            {"id": 10, "name": "aiops-1764190000", "key": KEY},
        ),
        ("DELETE", "/api/serviceaccounts/4/tokens/9"): (200, {"message": "API key deleted"}),
    }


def _run_step(grafana_url: str, token_file: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "app"),
        "GRAFANA_URL": grafana_url,
        "GRAFANA_ADMIN_PASSWORD": PASSWORD,
        "GRAFANA_TOKEN_FILE": str(token_file),
    }
    return subprocess.run(
        [sys.executable, "-m", "aiops.grafana_token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_first_start_creates_the_account_and_writes_a_private_token(tmp_path: Path) -> None:
    token_file = tmp_path / "grafana" / "token"
    with recording_server() as grafana:
        _grafana(grafana, exists=False)
        out = _run_step(grafana.base_url, token_file)
        calls = [(r.method, r.path.split("?")[0]) for r in grafana.requests]
        create = next(r for r in grafana.requests if r.path == "/api/serviceaccounts")
        basic = grafana.requests[0].headers["Authorization"]
    assert out.returncode == 0, out.stderr
    assert calls == [
        ("GET", "/api/serviceaccounts/search"),
        ("POST", "/api/serviceaccounts"),
        ("GET", "/api/serviceaccounts/4/tokens"),
        ("POST", "/api/serviceaccounts/4/tokens"),
    ]
    assert create.json() == {"name": "aiops-annotations", "role": "Editor", "isDisabled": False}
    assert base64.b64decode(basic.split()[1]).decode() == f"admin:{PASSWORD}"
    assert token_file.read_text() == KEY
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert KEY not in out.stdout + out.stderr and PASSWORD not in out.stdout + out.stderr


def test_restart_rotates_the_token(tmp_path: Path) -> None:
    with recording_server() as grafana:
        _grafana(grafana, exists=True)
        out = _run_step(grafana.base_url, tmp_path / "token")
        calls = [(r.method, r.path.split("?")[0]) for r in grafana.requests]
    assert out.returncode == 0, out.stderr
    assert ("POST", "/api/serviceaccounts") not in calls
    assert ("DELETE", "/api/serviceaccounts/4/tokens/9") in calls
    assert (tmp_path / "token").read_text() == KEY


def test_grafana_refusing_fails_the_step_without_echoing(tmp_path: Path) -> None:
    with recording_server() as grafana:
        grafana.responses["GET"] = (401, {"message": "invalid username or password"})
        out = _run_step(grafana.base_url, tmp_path / "token")
    assert out.returncode == 1 and "HTTPStatusError" in out.stderr
    assert not (tmp_path / "token").exists()


def test_aiops_annotates_with_the_token_file_and_holds_no_password(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(KEY + "\n")
    with recording_server() as grafana:
        grafana.responses["POST"] = (200, {"message": "Annotation added", "id": 3})
        env = {"GRAFANA_URL": grafana.base_url, "GRAFANA_TOKEN_FILE": str(token_file)}
        with run_aiops(tmp_path / "incidents", **env) as aiops:
            firing = load_json("alertmanager/latency-firing.json")
            r = httpx.post(aiops.base_url + "/alerts", json=firing, headers=WEBHOOK_AUTH)
            wait_incident(aiops.base_url, r.json()["incident_id"])
        post = grafana.wait_for(1, path="/api/annotations")[0]
    assert post.headers["Authorization"] == f"Bearer {KEY}"


# ------------------------------------------------------------------ on AWS: the Lambda's copy

PARAMETER = "/genai-lab-lab/GRAFANA_ANNOTATION_TOKEN"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """moto's SSM with the parameter as Terraform creates it (placeholder, lab key)."""
    fake_aws_environment(monkeypatch)
    with mock_aws():
        key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        client = boto3.client("ssm")
        client.put_parameter(Name=PARAMETER, Value="unset", Type="SecureString", KeyId=key)
        yield client, key


def _aws_step_env(
    monkeypatch: pytest.MonkeyPatch, grafana_url: str, tmp_path: Path, parameter: str, key: str
) -> None:
    """The grafana-token step as the ECS task runs it: admin login in, token out to SSM."""
    for name, value in {
        "GRAFANA_URL": grafana_url,
        "GRAFANA_ADMIN_PASSWORD": PASSWORD,
        "GRAFANA_TOKEN_FILE": str(tmp_path / "token"),
        "GRAFANA_TOKEN_PARAMETER": parameter,
        "GRAFANA_TOKEN_KMS_KEY": key,
    }.items():
        monkeypatch.setenv(name, value)


def test_on_aws_the_token_goes_to_ssm_under_the_lab_key(
    ssm: tuple[Any, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, key = ssm
    with recording_server() as grafana:
        _grafana(grafana, exists=True)
        _aws_step_env(monkeypatch, grafana.base_url, tmp_path, PARAMETER, key)
        assert grafana_token.main() == 0
    stored = client.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert stored["Value"] == KEY and stored["Type"] == "SecureString"
    (meta,) = client.describe_parameters()["Parameters"]
    assert meta["KeyId"] == key
    assert (tmp_path / "token").read_text() == KEY


def test_the_old_token_is_revoked_only_after_the_new_one_is_stored(
    ssm: tuple[Any, str], tmp_path: Path
) -> None:
    client, key = ssm
    write = grafana_token.ssm_writer(PARAMETER, key, client)
    seen_at_write: list[str] = []
    with recording_server() as grafana:
        _grafana(grafana, exists=True)

        def also(token: str) -> None:
            seen_at_write.extend(r.method for r in grafana.requests)
            write(token)

        with httpx.Client(base_url=grafana.base_url, auth=("admin", PASSWORD)) as http:
            grafana_token.provision(http, tmp_path / "token", also)
        methods = [r.method for r in grafana.requests]
    assert "DELETE" not in seen_at_write and methods[-1] == "DELETE"
    assert client.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"] == KEY


def test_a_parameter_without_its_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GRAFANA_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("GRAFANA_TOKEN_FILE", "/nonexistent/token")
    monkeypatch.setenv("GRAFANA_TOKEN_PARAMETER", PARAMETER)
    monkeypatch.delenv("GRAFANA_TOKEN_KMS_KEY", raising=False)
    assert grafana_token.main() == 2


def test_a_failed_ssm_write_fails_the_step_and_keeps_the_old_token(
    ssm: tuple[Any, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, key = ssm
    with recording_server() as grafana:
        _grafana(grafana, exists=True)
        # SSM refuses names under the reserved "aws" prefix (PutParameter, ValidationException).
        _aws_step_env(
            monkeypatch, grafana.base_url, tmp_path, "aws-lab/GRAFANA_ANNOTATION_TOKEN", key
        )
        assert grafana_token.main() == 1
        methods = [r.method for r in grafana.requests]
    assert "DELETE" not in methods
    err = capsys.readouterr().err
    assert "ValidationException" in err and KEY not in err and PASSWORD not in err
