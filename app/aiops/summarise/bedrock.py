"""Bedrock Claude through the Converse API (bedrock-runtime converse), when BEDROCK_MODEL_ID is set.

The model gets the deterministic summary and the gathered context, and answers in JSON; its
answer refines the cause, impact and next steps, while the facts (route, model, evidence, what
could not be read) stay those gathered. Any failure falls back to the deterministic summary and
says so, because on-call must get a summary either way.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog

from aiops.context import Gathered
from aiops.incidents import Incident, Summary

log = structlog.get_logger("aiops.bedrock")

SYSTEM_PROMPT = (
    "You are an SRE assistant writing an incident summary for the on-call engineer. "
    "Use only the facts in the context; never invent metrics, routes or messages. "
    "Answer with one JSON object and nothing else: "
    '{"likely_cause": str, "impact": str, "next_steps": [str, ...], "narrative": str}. '
    "next_steps must start from the runbook steps given, adapted to the evidence."
)


def build_request(
    model_id: str, incident: Incident, ctx: Gathered, draft: Summary
) -> dict[str, Any]:
    context = {
        "alert": {
            "name": incident.alertname,
            "status": incident.status,
            "severity": incident.severity,
            "category": incident.category,
            "labels": incident.common_labels,
            "annotations": incident.common_annotations,
        },
        "deterministic_summary": draft.model_dump(exclude={"narrative", "summariser"}),
        "prometheus": [q.model_dump(mode="json") for q in ctx.prometheus],
        "error_logs": [e.model_dump(mode="json") for e in ctx.logs[:20]],
        "traces": [t.model_dump(mode="json") for t in ctx.traces[:10]],
        "could_not_read": ctx.unavailable,
    }
    return {
        "modelId": model_id,
        "system": [{"text": SYSTEM_PROMPT}],
        "messages": [
            {
                "role": "user",
                "content": [{"text": json.dumps(context, default=str)}],
            }
        ],
        "inferenceConfig": {"maxTokens": 1024, "temperature": 0.0},
    }


def parse_response(response: dict[str, Any], draft: Summary, model_id: str) -> Summary:
    """Merge the model's answer into the draft; raises ValueError on an unusable answer."""
    content = response["output"]["message"]["content"]
    text = "".join(block.get("text", "") for block in content).strip()
    # Models sometimes wrap JSON in a code fence despite the instruction.
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    answer = json.loads(text)
    if not isinstance(answer, dict) or not answer.get("likely_cause"):
        raise ValueError("the model's answer has no likely_cause")
    steps = [str(s) for s in answer.get("next_steps") or [] if str(s).strip()]
    return draft.model_copy(
        update={
            "likely_cause": str(answer["likely_cause"]),
            "impact": str(answer.get("impact") or draft.impact),
            "remediation": steps or draft.remediation,
            "narrative": str(answer.get("narrative") or "") or None,
            "summariser": f"bedrock {model_id}",
        }
    )


class BedrockSummariser:
    def __init__(self, client: Any, model_id: str) -> None:
        self.client = client
        self.model_id = model_id

    def summarise_sync(self, incident: Incident, ctx: Gathered, draft: Summary) -> Summary:
        try:
            response = self.client.converse(**build_request(self.model_id, incident, ctx, draft))
            return parse_response(response, draft, self.model_id)
        except Exception as exc:  # any Bedrock failure: keep the deterministic summary
            reason = f"{type(exc).__name__}: {exc}"[:200]
            log.warning("bedrock_failed", error=reason)
            return draft.model_copy(
                update={
                    "unavailable": [*draft.unavailable, f"bedrock ({self.model_id}): {reason}"],
                    "summariser": "offline (bedrock failed)",
                }
            )

    async def summarise(self, incident: Incident, ctx: Gathered, draft: Summary) -> Summary:
        return await asyncio.to_thread(self.summarise_sync, incident, ctx, draft)


def from_settings(model_id: str, region: str, timeout_s: float) -> BedrockSummariser:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "bedrock-runtime",
        region_name=region or None,
        config=Config(connect_timeout=3, read_timeout=timeout_s, retries={"max_attempts": 2}),
    )
    return BedrockSummariser(client, model_id)
