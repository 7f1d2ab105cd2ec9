"""The AI-ops Lambda with moto's SNS: the recorded AMP alert in, a summary out on SNS.

The inbound message is what the real Alertmanager published to SNS running the generated AMP
definition (tests/fixtures/aiops/sns, recorded by tests/unit/aiops/sns_capture.py). Lambda wraps
an SNS notification in its documented event envelope (AWS Lambda developer guide, "Using Lambda
with Amazon SNS": Records[].EventSource "aws:sns", Records[].Sns with Type, MessageId, TopicArn,
Subject, Message, Timestamp, MessageAttributes as {name: {Type, Value}}); `lambda_event` builds
exactly that from the recorded Publish. Outbound goes to a moto SNS topic with an SQS queue
subscribed, so the test reads what subscribers would get. Grafana is a recording server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from aiops import aws_lambda, sigv4
from aiops.settings import Settings
from tests.support.aiops_fixtures import FIXTURES, RUNBOOKS
from tests.support.moto_env import fake_aws_environment
from tools.processes import free_port
from tools.recorder import Recorder, recording_server

pytestmark = pytest.mark.contract

REGION = "us-east-1"
#: A Grafana service-account token as Grafana 13 issues them (prefix glsa_).
TOKEN = "glsa_aiopsLambdaToken0123456789_abcdef01"
TOKEN_PARAMETER = "/genai-lab-lab/GRAFANA_ANNOTATION_TOKEN"
ADMIN_PARAMETER = "/genai-lab-lab/GRAFANA_ADMIN_PASSWORD"


def recorded_publish(name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((FIXTURES / "sns" / f"{name}.json").read_text())
    return data


def lambda_event(publish: dict[str, str], topic_arn: str) -> dict[str, Any]:
    """The Lambda SNS event for one Publish request (query-protocol form fields)."""
    attributes: dict[str, dict[str, str]] = {}
    for key, name in publish.items():
        m = re.fullmatch(r"MessageAttributes\.entry\.(\d+)\.Name", key)
        if m:
            prefix = f"MessageAttributes.entry.{m.group(1)}.Value."
            attributes[name] = {
                "Type": publish[prefix + "DataType"],
                "Value": publish[prefix + "StringValue"],
            }
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2026-11-26T16:46:39.175Z",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "Message": publish["Message"],
                    "MessageAttributes": attributes,
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": topic_arn,
                    "Subject": publish.get("Subject"),
                },
            }
        ]
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    fake_aws_environment(monkeypatch, REGION)
    monkeypatch.delenv("PROMETHEUS_SIGV4_SERVICE", raising=False)
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        alerts = sns.create_topic(Name="genai-lab-alerts")["TopicArn"]
        incidents = sns.create_topic(Name="genai-lab-incidents")["TopicArn"]
        queue = sqs.create_queue(QueueName="incidents-subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=incidents, Protocol="sqs", Endpoint=queue_arn)
        yield {"sns": sns, "sqs": sqs, "alerts": alerts, "incidents": incidents, "queue": queue}


def received(aws: dict[str, Any]) -> list[dict[str, Any]]:
    out = aws["sqs"].receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def settings(tmp_path: Path, grafana: Recorder) -> Settings:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: context is unavailable
    return Settings(
        prometheus_url=closed,
        loki_url=closed,
        tempo_url=closed,
        grafana_url=grafana.base_url,
        grafana_token=TOKEN,
        incidents_dir=tmp_path / "incidents",
        runbooks_dir=RUNBOOKS,
        backend_timeout_s=1.0,
    )


def test_recorded_amp_message_is_an_alertmanager_payload() -> None:
    payload, reason = aws_lambda.parse(recorded_publish("crashstorm-firing")["Message"])
    assert reason is None and payload is not None
    assert payload.receiver == "aiops-page"
    assert payload.commonLabels["alertname"] == "CrashStorm"
    # The template escaped quotes, a backslash, a newline and a tab; JSON gives them back.
    assert payload.commonAnnotations["description"] == (
        'Requests ended in "RuntimeError" on C:\\lab\n\tsecond line'
    )
    assert payload.alerts[0].endsAt.year == 1  # firing: Alertmanager's zero time


async def test_firing_alert_becomes_a_summary_on_sns_and_a_grafana_annotation(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    publish = recorded_publish("crashstorm-firing")
    with recording_server() as grafana:
        grafana.responses["POST"] = (200, {"message": "Annotation added", "id": 7})
        notifier = aws_lambda.Notifier(aws["incidents"], aws["sns"])
        outcomes = await aws_lambda.handle(
            lambda_event(publish, aws["alerts"]), settings(tmp_path, grafana), notifier
        )
        annotations = [r for r in grafana.requests if r.path == "/api/annotations"]
    assert outcomes == ["created"]
    (note,) = received(aws)
    assert note["TopicArn"] == aws["incidents"]
    assert note["Subject"].startswith("[FIRING] CrashStorm (critical)")
    assert "# Incident " in note["Message"] and "CrashStorm" in note["Message"]
    assert "Likely cause" in note["Message"]
    assert note["MessageAttributes"]["severity"]["Value"] == "critical"
    assert note["MessageAttributes"]["category"]["Value"] == "availability"
    (ann,) = annotations
    assert ann.json()["dashboardUID"] == "genai-service-overview"
    assert ann.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_resolution_updates_the_same_incident_in_a_warm_lambda(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    with recording_server() as grafana:
        grafana.responses["POST"] = (200, {"id": 7})
        notifier = aws_lambda.Notifier(aws["incidents"], aws["sns"])
        s = settings(tmp_path, grafana)
        for name in ("crashstorm-firing", "crashstorm-resolved"):
            await aws_lambda.handle(
                lambda_event(recorded_publish(name), aws["alerts"]), s, notifier
            )
        patched = [r for r in grafana.requests if r.method == "PATCH"]
    firing, resolved = received(aws)
    assert firing["Subject"].startswith("[FIRING] CrashStorm")
    assert resolved["Subject"].startswith("[RESOLVED] CrashStorm")
    assert "**Resolved:**" in resolved["Message"]
    assert patched and patched[0].path == "/api/annotations/7"
    assert "timeEnd" in patched[0].json()


async def test_cold_lambda_still_publishes_a_resolution(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    with recording_server() as grafana:
        notifier = aws_lambda.Notifier(aws["incidents"], aws["sns"])
        event = lambda_event(recorded_publish("crashstorm-resolved"), aws["alerts"])
        outcomes = await aws_lambda.handle(event, settings(tmp_path, grafana), notifier)
    assert outcomes == ["ignored"]
    (note,) = received(aws)
    assert note["Subject"] == "[RESOLVED] CrashStorm"
    assert "Crash storm on genai-service" in note["Message"]


async def test_unreadable_message_is_forwarded_not_dropped(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    # AMP's default SNS message is a text list (no genai.sns.json template): not a payload.
    publish = dict(recorded_publish("crashstorm-firing"), Message="Alertname: CrashStorm\n")
    with recording_server() as grafana:
        notifier = aws_lambda.Notifier(aws["incidents"], aws["sns"])
        outcomes = await aws_lambda.handle(
            lambda_event(publish, aws["alerts"]), settings(tmp_path, grafana), notifier
        )
    assert outcomes == ["unreadable"]
    (note,) = received(aws)
    assert "not JSON" in note["Message"] and "Alertname: CrashStorm" in note["Message"]
    assert note["MessageAttributes"]["category"]["Value"] == "pipeline"


async def test_not_an_sns_event_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an SNS event"):
        await aws_lambda.handle({"Records": []}, Settings(incidents_dir=tmp_path), None)  # type: ignore[arg-type]


def test_sns_limits_on_subject_and_body() -> None:
    assert len(aws_lambda.subject("x" * 300)) == 100
    assert aws_lambda.subject("a\nb\tc é") == "a b c ?"
    big = "é" * 200_000
    assert len(aws_lambda.body(big).encode()) <= aws_lambda.MAX_MESSAGE_BYTES
    assert aws_lambda.parse("{" * (aws_lambda.MAX_MESSAGE_BYTES + 1))[0] is None


def _ssm_with_both_parameters() -> tuple[Any, list[str]]:
    """moto's SSM holding the token and the admin password, as Terraform and the grafana-token
    step leave them (both SecureString under the lab key); also the names read from it."""
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=ADMIN_PARAMETER, Value="s3cret", Type="SecureString", KeyId=key)
    ssm.put_parameter(Name=TOKEN_PARAMETER, Value=TOKEN, Type="SecureString", KeyId=key)
    read: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        read.append(params["Name"])

    ssm.meta.events.register("provide-client-params.ssm.GetParameter", record)
    return ssm, read


def test_grafana_token_comes_from_ssm_never_the_admin_password(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ssm, read = _ssm_with_both_parameters()
    monkeypatch.setenv("GRAFANA_TOKEN_PARAMETER", TOKEN_PARAMETER)
    # Even told where the password is, and given a user and password, the Lambda uses neither.
    monkeypatch.setenv("GRAFANA_PASSWORD_PARAMETER", ADMIN_PARAMETER)
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret")
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    settings = aws_lambda.settings_from_env(ssm)
    assert settings.grafana_token == TOKEN
    assert (settings.grafana_user, settings.grafana_password) == ("", "")
    assert read == [TOKEN_PARAMETER]


def test_handler_annotates_with_the_token_from_ssm(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The entry point as Lambda calls it, with the environment alerting.tf gives it."""
    _ssm_with_both_parameters()
    closed = f"http://127.0.0.1:{free_port()}"
    with recording_server() as grafana:
        grafana.responses["POST"] = (200, {"message": "Annotation added", "id": 11})
        for key, value in {
            "INCIDENTS_TOPIC_ARN": aws["incidents"],
            "PROMETHEUS_URL": closed,
            "LOKI_URL": closed,
            "TEMPO_URL": "",
            "GRAFANA_URL": grafana.base_url,
            "GRAFANA_TOKEN_PARAMETER": TOKEN_PARAMETER,
            "INCIDENTS_DIR": str(tmp_path / "incidents"),
            "RUNBOOKS_DIR": str(RUNBOOKS),
            "AIOPS_BACKEND_TIMEOUT_S": "1",
        }.items():
            monkeypatch.setenv(key, value)
        event = lambda_event(recorded_publish("crashstorm-firing"), aws["alerts"])
        assert aws_lambda.handler(event, None) == {"outcomes": ["created"]}
        (ann,) = [r for r in grafana.requests if r.path == "/api/annotations"]
    assert ann.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "s3cret" not in repr(ann.headers)
    (note,) = received(aws)
    assert note["Subject"].startswith("[FIRING] CrashStorm")


async def test_amp_queries_are_signed_and_other_backends_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with recording_server() as rec:
        host_url = rec.base_url  # stands where AMP would be
        auth = sigv4.from_env(host_url, {"PROMETHEUS_SIGV4_SERVICE": "aps", "AWS_REGION": REGION})
        assert auth is not None
        async with httpx.AsyncClient(auth=auth, timeout=5) as client:
            await client.get(f"{host_url}/api/v1/query", params={"query": "up"})
            other = host_url.replace("127.0.0.1", "localhost")
            await client.get(f"{other}/loki/api/v1/labels", headers={"Authorization": "Basic x"})
        amp, loki = rec.requests
    assert amp.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert f"/{REGION}/aps/aws4_request" in amp.headers["Authorization"]
    assert "X-Amz-Date" in amp.headers
    assert loki.headers["Authorization"] == "Basic x"
    assert sigv4.from_env(host_url, {}) is None
