"""AI-ops on AWS: AMP's alert manager -> SNS -> this Lambda -> SNS (people) and Grafana.

The same code as the webhook service (aiops.main), not a copy: each SNS message is
Alertmanager's webhook payload as JSON (template genai.sns.json in
alertmanager/templates/genai-lab.tmpl, which the AMP definition uses), validated by
WebhookPayload, folded into an incident by IncidentStore, summarised and published (Grafana
annotation, Slack when configured) by Pipeline. The rendered incident then goes to the
incidents topic (INCIDENTS_TOPIC_ARN) for e-mail or chat subscribers.

Incidents are kept in INCIDENTS_DIR (/tmp): a warm Lambda folds a resolution into its incident;
a cold one that never saw the firing still publishes the resolution, marked as such.

Nothing is dropped silently: a message that is not a valid payload (wrong template, truncated by
AMP at SNS's 256 KiB limit) is forwarded to the incidents topic as-is with the reason, and
logged. Failing to publish raises, so Lambda retries the event and then sends it to the
dead-letter queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import structlog
from pydantic import ValidationError

from aiops import render, sigv4
from aiops.incidents import Incident
from aiops.payload import WebhookPayload
from aiops.pipeline import Pipeline
from aiops.settings import Settings
from aiops.store import IncidentStore
from aiops.summarise import bedrock

log = structlog.get_logger("aiops.lambda")

#: SNS limits (SNS API reference, Publish): message 256 KiB, subject 100 ASCII characters.
MAX_MESSAGE_BYTES = 256 * 1024
MAX_SUBJECT = 100
#: SNS delivers one record per invocation; more is not an SNS event.
MAX_RECORDS = 10


def parse(message: str) -> tuple[WebhookPayload | None, str | None]:
    """The payload in one SNS message, or None and why not."""
    if len(message.encode()) > MAX_MESSAGE_BYTES:
        return None, "message larger than SNS allows"
    try:
        body = json.loads(message)
    except ValueError as exc:
        return None, f"not JSON: {exc}"[:300]
    try:
        return WebhookPayload.model_validate(body), None
    except ValidationError as exc:
        where = "; ".join(
            ".".join(str(p) for p in e["loc"]) + ": " + e["msg"]
            for e in exc.errors(include_url=False)[:5]
        )
        return None, f"not an Alertmanager payload: {where}"[:300]


def subject(text: str) -> str:
    """SNS subjects are ASCII, one line, at most 100 characters."""
    flat = " ".join(text.split()).encode("ascii", "replace").decode()
    return flat if len(flat) <= MAX_SUBJECT else flat[: MAX_SUBJECT - 3] + "..."


def body(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_MESSAGE_BYTES:
        return text
    marker = "\n\n[truncated to SNS's 256 KiB limit]"
    return data[: MAX_MESSAGE_BYTES - len(marker.encode())].decode(errors="ignore") + marker


def settings_from_env(ssm: Any | None = None) -> Settings:
    """Settings, with the Grafana service-account token from SSM (GRAFANA_TOKEN_PARAMETER).

    The aiops task's grafana-token step writes that parameter (aiops.grafana_token); the
    Lambda's role may read only it, never the admin password. Read per invocation: the step
    rotates the token whenever the aiops task restarts."""
    settings = Settings.from_env()
    if settings.grafana_user or settings.grafana_password:
        # Basic auth (the admin login) is not for the Lambda: only the token is used.
        log.warning("grafana_basic_auth_ignored", reason="the Lambda annotates with a token")
        settings = dataclasses.replace(settings, grafana_user="", grafana_password="")
    parameter = os.environ.get("GRAFANA_TOKEN_PARAMETER", "").strip()
    if parameter and not settings.grafana_token:
        ssm = ssm or boto3.client("ssm")
        value = ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        settings = dataclasses.replace(settings, grafana_token=value.strip())
    return settings


def _attributes(**values: str) -> dict[str, dict[str, str]]:
    return {k: {"DataType": "String", "StringValue": v or "unknown"} for k, v in values.items()}


class Notifier:
    """The incidents topic."""

    def __init__(self, topic_arn: str, sns: Any) -> None:
        self.topic_arn = topic_arn
        self.sns = sns

    def incident(self, incident: Incident) -> None:
        self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject(render.short_text(incident).splitlines()[0]),
            Message=body(incident.markdown or render.markdown(incident)),
            MessageAttributes=_attributes(
                severity=incident.severity, category=incident.category, status=incident.status
            ),
        )

    def resolved_unknown(self, payload: WebhookPayload) -> None:
        name = payload.commonLabels.get("alertname", payload.alerts[0].alertname)
        lines = [f"[RESOLVED] {name}", "", "No firing notification of this group was seen here."]
        lines += [f"- {a.annotations.get('summary', a.alertname)}" for a in payload.alerts]
        self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject(f"[RESOLVED] {name}"),
            Message=body("\n".join(lines)),
            MessageAttributes=_attributes(
                severity=payload.commonLabels.get("severity", ""),
                category=payload.commonLabels.get("category", ""),
                status="resolved",
            ),
        )

    def unreadable(self, message: str, reason: str) -> None:
        self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=subject("[AIOPS] alert notification could not be read"),
            Message=body(f"Reason: {reason}\n\nThe notification as received:\n\n{message}"),
            MessageAttributes=_attributes(severity="warning", category="pipeline", status="error"),
        )


async def handle(event: dict[str, Any], settings: Settings, notifier: Notifier) -> list[str]:
    """Process one Lambda SNS event; returns the outcome of each record."""
    records = event.get("Records") or []
    if not isinstance(records, list) or not 0 < len(records) <= MAX_RECORDS:
        raise ValueError(f"not an SNS event: {len(records) if isinstance(records, list) else '?'}")
    store = IncidentStore(settings.incidents_dir)
    timeout = httpx.Timeout(
        settings.backend_timeout_s, connect=min(2.0, settings.backend_timeout_s)
    )
    auth = sigv4.from_env(settings.prometheus_url)
    outcomes = []
    async with httpx.AsyncClient(timeout=timeout, auth=auth) as client:
        summariser = None
        if settings.bedrock_model_id:
            summariser = bedrock.from_settings(
                settings.bedrock_model_id, settings.aws_region, settings.bedrock_timeout_s
            )
        pipeline = Pipeline(settings, store, client, summariser)
        for record in records:
            sns = record.get("Sns") or {}
            message = str(sns.get("Message", ""))
            payload, reason = parse(message)
            if payload is None:
                log.warning(
                    "sns_message_unreadable", reason=reason, message_id=sns.get("MessageId")
                )
                notifier.unreadable(message, reason or "unknown")
                outcomes.append("unreadable")
                continue
            incident, outcome = await store.apply(payload, datetime.now(UTC))
            log.info(
                "alert_notification",
                outcome=outcome,
                status=payload.status,
                group_key=payload.groupKey,
                message_id=sns.get("MessageId"),
            )
            if outcome == "ignored":
                notifier.resolved_unknown(payload)
            elif incident is not None and outcome != "duplicate":
                done = await pipeline.process(incident)
                notifier.incident(done)
            outcomes.append(outcome)
    return outcomes


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (aiops.aws_lambda.handler)."""
    settings = settings_from_env()
    notifier = Notifier(os.environ["INCIDENTS_TOPIC_ARN"], boto3.client("sns"))
    outcomes = asyncio.run(handle(event, settings, notifier))
    return {"outcomes": outcomes}
