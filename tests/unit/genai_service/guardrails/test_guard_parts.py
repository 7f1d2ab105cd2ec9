"""The guard's pure helpers: which texts of a validated body are scored and estimated; PII
counted with the service's detectors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from genai_service.api.openai_format import chat_prompt, embedding_prompt
from genai_service.api.schemas import ChatCompletionRequest, EmbeddingRequestBody
from genai_service.guardrails.guard import Prompt, pii_counts

pytestmark = pytest.mark.unit

MODEL = "claude-haiku-4-5"


def test_every_message_and_template_variable_is_read() -> None:
    body = ChatCompletionRequest.model_validate(
        {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "You are terse."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "part one "},
                        {"type": "text", "text": "two"},
                    ],
                },
                {"role": "assistant", "content": "earlier answer"},
                {"role": "tool", "content": "tool output"},
                {"role": "user", "content": None},
            ],
            "template_variables": {"doc": "quoted text"},
            "max_tokens": 50,
        }
    )
    prompt = chat_prompt(body)
    assert prompt.texts() == [
        "You are terse.",
        "part one two",
        "earlier answer",
        "tool output",
        "quoted text",
    ]
    assert prompt.messages == (
        ("system", "You are terse."),
        ("user", "part one two"),
        ("assistant", "earlier answer"),
        ("tool", "tool output"),
    )
    assert prompt.variables == {"doc": "quoted text"}
    assert (prompt.model, prompt.output_limit, prompt.embedding) == (MODEL, 50, False)


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": {}}]}]},
        {"messages": [{"role": "user", "content": [{"text": None}, 3, "x"]}]},
        {"messages": [{"role": "user", "content": {"text": "x"}}]},
        {"messages": "not a list"},
        {"messages": [{"role": ["user"], "content": "hi"}]},
        {"messages": [{"role": "user", "content": "hi"}, "not a message"]},
        {"messages": [{"role": "user", "content": "hi"}], "template_variables": {"n": 3}},
        {"input": {"a": 1}},
    ],
)
def test_malformed_bodies_never_reach_the_guard(body: dict[str, object]) -> None:
    # The guard reads the validated model only: whatever else arrives is refused before it
    # (a 400, test_guard_app.py::test_malformed_bodies_reach_validation_not_a_500).
    model = EmbeddingRequestBody if "input" in body else ChatCompletionRequest
    with pytest.raises(ValidationError):
        model.model_validate({"model": MODEL, **body})


def test_embedding_inputs_are_estimated_not_scored() -> None:
    many = embedding_prompt(EmbeddingRequestBody(model="titan-embed-text-v2", input=["a", "b"]))
    assert many.texts() == ["a", "b"]
    assert many.embedding and many.messages == ()
    one = embedding_prompt(EmbeddingRequestBody(model="titan-embed-text-v2", input="one"))
    assert one.texts() == ["one"]
    assert one.messages == ()
    assert Prompt(MODEL).texts() == []


def test_pii_counts_by_type() -> None:
    texts = [
        "write to ann@example.com and bo@example.org",
        "card 4111 1111 1111 1111, call +44 20 7946 0958",
        "nothing here",
    ]
    counts = pii_counts(texts)
    assert counts["email"] == 2
    assert counts["card_number"] == 1
    assert counts["phone_number"] == 1
    assert pii_counts(["plain text, no data"]) == {}


def test_placeholders_sent_by_the_caller_are_not_counted() -> None:
    assert pii_counts(["already [REDACTED:email] here"]) == {}
    assert pii_counts(["[REDACTED:email] and x@example.com"]) == {"email": 1}
