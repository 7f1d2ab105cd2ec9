"""Prompt templates from templates.yaml: rendering and the caller's mistakes."""

from __future__ import annotations

import pytest

from genai_service.orchestrator.templates import TemplateError, TemplateRegistry
from genai_service.providers.base import Message

pytestmark = pytest.mark.unit

REGISTRY = TemplateRegistry.load()


def test_shipped_templates_load() -> None:
    assert {"assistant", "summarise", "support-reply", "classify"} <= set(REGISTRY.names())


def test_system_prompt_is_prepended_and_user_prompt_filled() -> None:
    out = REGISTRY.apply(
        "summarise", (Message("user", "context"),), {"sentences": "2", "text": "Long text."}
    )
    assert out[0].role == "system" and "summarise" in out[0].content.lower()
    assert out[1] == Message("user", "context")
    assert out[-1].role == "user"
    assert "at most 2 sentences" in out[-1].content and "Long text." in out[-1].content


def test_template_without_user_part_only_adds_the_system_prompt() -> None:
    out = REGISTRY.apply("assistant", (Message("user", "hi"),), {})
    assert [m.role for m in out] == ["system", "user"]


def test_unknown_template_and_missing_variable_are_caller_errors() -> None:
    with pytest.raises(TemplateError) as unknown:
        REGISTRY.apply("nope", (), {})
    assert unknown.value.param == "template" and "summarise" in str(unknown.value)
    with pytest.raises(TemplateError) as missing:
        REGISTRY.apply("summarise", (), {"text": "x"})
    assert missing.value.param == "template_variables" and "sentences" in str(missing.value)
