"""Bedrock Claude through Converse, with botocore's Stubber (response shapes checked against the
bedrock-runtime service model), and the fallback when Bedrock fails or answers nonsense."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aiops.incidents import Incident, Summary
from aiops.summarise import offline
from aiops.summarise.bedrock import BedrockSummariser, build_request
from tests.support.aiops_fixtures import context, incident

pytestmark = pytest.mark.contract

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    c = boto3.client("bedrock-runtime", region_name="us-east-1")
    yield c


def _draft() -> tuple[Incident, Any, Summary]:
    inc = incident("crash-firing")
    ctx = context("crash", "crash-errors", ["crash-search"])
    return inc, ctx, offline.summarise(inc, ctx, None)


def _response(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 900, "outputTokens": 120, "totalTokens": 1020},
        "metrics": {"latencyMs": 840},
    }


def test_converse_request_carries_the_gathered_context(client: Any) -> None:
    inc, ctx, draft = _draft()
    request = build_request(MODEL, inc, ctx, draft)
    sent = json.loads(request["messages"][0]["content"][0]["text"])
    assert sent["alert"]["name"] == "UnhandledExceptions"
    assert sent["deterministic_summary"]["route"] == "/crash"
    assert any("simulated crash" in e["message"] for e in sent["error_logs"])
    assert {q["name"] for q in sent["prometheus"]} >= {"exceptions", "error_rate"}


def test_model_answer_refines_cause_and_steps_but_keeps_gathered_facts(client: Any) -> None:
    inc, ctx, draft = _draft()
    answer = {
        "likely_cause": "The /crash route raises RuntimeError on every call (simulated crash).",
        "impact": "All /crash requests fail with 500.",
        "next_steps": ["Stop calling /crash.", "Check the deploy log."],
        "narrative": "Errors began at the alert start and match the logs.",
    }
    stub = Stubber(client)
    stub.add_response(
        "converse",
        _response("```json\n" + json.dumps(answer) + "\n```"),
        build_request(MODEL, inc, ctx, draft),
    )
    with stub:
        s = BedrockSummariser(client, MODEL).summarise_sync(inc, ctx, draft)
    stub.assert_no_pending_responses()
    assert s.likely_cause == answer["likely_cause"]
    assert s.remediation == answer["next_steps"]
    assert s.summariser == f"bedrock {MODEL}"
    assert (s.route, s.error_message, s.trace_ids) == (
        draft.route,
        draft.error_message,
        draft.trace_ids,
    )


def test_bedrock_error_falls_back_to_the_offline_summary_and_says_why(client: Any) -> None:
    inc, ctx, draft = _draft()
    stub = Stubber(client)
    stub.add_client_error(
        "converse",
        service_error_code="ThrottlingException",
        service_message="Too many requests",
        http_status_code=429,
    )
    with stub:
        s = BedrockSummariser(client, MODEL).summarise_sync(inc, ctx, draft)
    assert s.likely_cause == draft.likely_cause
    assert s.summariser == "offline (bedrock failed)"
    assert "ThrottlingException" in s.unavailable[-1] and MODEL in s.unavailable[-1]


def test_an_answer_that_is_not_the_asked_json_falls_back(client: Any) -> None:
    inc, ctx, draft = _draft()
    stub = Stubber(client)
    stub.add_response("converse", _response("I think it is probably the network."))
    with stub:
        s = BedrockSummariser(client, MODEL).summarise_sync(inc, ctx, draft)
    assert s.likely_cause == draft.likely_cause and s.summariser.startswith("offline")
