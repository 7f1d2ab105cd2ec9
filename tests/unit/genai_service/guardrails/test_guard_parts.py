"""The guard's pure helpers: which texts are scored; PII counted with the service's detectors."""

from __future__ import annotations

import pytest

from genai_service.guardrails.guard import _texts, pii_counts

pytestmark = pytest.mark.unit


def test_every_message_and_template_variable_is_read() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "part one "}, {"text": "two"}]},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "tool", "content": "tool output"},
            {"role": "user", "content": None},
            "not a message",
        ],
        "template_variables": {"doc": "quoted text", "n": 3},
    }
    texts = _texts(body)
    assert texts.every == [
        "You are terse.",
        "part one two",
        "earlier answer",
        "tool output",
        "quoted text",
    ]
    assert texts.messages == [
        ("system", "You are terse."),
        ("user", "part one two"),
        ("assistant", "earlier answer"),
        ("tool", "tool output"),
    ]
    assert texts.variables == {"doc": "quoted text"}


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": {}}]}]},
        {"messages": [{"role": "user", "content": [{"text": None}, 3, "x"]}]},
        {"messages": [{"role": "user", "content": {"text": "x"}}]},
        {"messages": "not a list"},
        {"messages": [{"role": ["user"], "content": "hi"}]},
        {"input": {"a": 1}},
    ],
)
def test_malformed_bodies_are_read_without_errors(body: object) -> None:
    # The guard reads the body before FastAPI validates it: whatever arrives, no exception.
    texts = _texts(body)
    assert all(isinstance(t, str) for t in texts.every)
    assert all(isinstance(r, str) and isinstance(t, str) for r, t in texts.messages)


def test_embedding_inputs_are_estimated_not_scored() -> None:
    assert _texts({"input": ["a", "b", 3]}).every == ["a", "b"]
    assert _texts({"input": "one"}).every == ["one"]
    assert _texts({"input": "one"}).messages == []
    assert _texts(None).every == []
    assert _texts([1, 2]).every == []


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
