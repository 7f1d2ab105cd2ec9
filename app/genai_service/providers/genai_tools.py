"""GenAI span attributes for tools and structured output (semantic conventions v1.41).

On the inference span: gen_ai.output.type ("json" for JSON mode, "text" when asked for text),
and, opt-in with message capture, gen_ai.tool.definitions and the tool calls inside
gen_ai.output.messages (parts of type "tool_call"), redacted like all captured content. The
tool names offered and called are always recorded, bounded, as genai_lab.request.tool_names and
genai_lab.response.tool_calls: names are the developer's, not the user's, and they say which
tool a slow or failing call was about. execute_tool_span() is the span for running a tool.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from genai_service.providers.base import ChatRequest
from genai_service.providers.tool_types import ToolCall
from lab_telemetry.redaction import redact_text

OUTPUT_TYPE = "gen_ai.output.type"
TOOL_DEFINITIONS = "gen_ai.tool.definitions"
OUTPUT_MESSAGES = "gen_ai.output.messages"
TOOL_NAMES = "genai_lab.request.tool_names"
TOOL_CHOICE = "genai_lab.request.tool_choice"
TOOL_CALLS = "genai_lab.response.tool_calls"
MAX_NAMES = 32

tracer = trace.get_tracer(__name__)


def request_attributes(request: ChatRequest, capture: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if request.response_format is not None:
        attrs[OUTPUT_TYPE] = "json" if request.response_format.wants_json else "text"
    if request.tools:
        attrs[TOOL_NAMES] = tuple(t.name for t in request.tools[:MAX_NAMES])
        if request.tool_choice is not None:
            attrs[TOOL_CHOICE] = request.tool_choice.mode
        if capture:
            definitions = [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                }
                for t in request.tools
            ]
            attrs[TOOL_DEFINITIONS] = redact_text(json.dumps(definitions, ensure_ascii=False))
    return attrs


def _arguments(raw: str) -> Any:
    try:
        return json.loads(redact_text(raw))
    except ValueError:
        return redact_text(raw)


def result_attributes(
    calls: tuple[ToolCall, ...] | list[ToolCall], capture: bool, finish_reason: str | None
) -> dict[str, Any]:
    if not calls:
        return {}
    attrs: dict[str, Any] = {TOOL_CALLS: tuple(c.name for c in calls[:MAX_NAMES])}
    if capture:
        parts = [
            {"type": "tool_call", "id": c.id, "name": c.name, "arguments": _arguments(c.arguments)}
            for c in calls
        ]
        message = {
            "role": "assistant",
            "parts": parts,
            "finish_reason": finish_reason or "tool_calls",
        }
        attrs[OUTPUT_MESSAGES] = json.dumps([message], ensure_ascii=False)
    return attrs


@contextmanager
def execute_tool_span(
    name: str, call_id: str | None, description: str = ""
) -> Iterator[trace.Span]:
    """The conventions' span for running a tool: "execute_tool {gen_ai.tool.name}", INTERNAL."""
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.type": "function",
    }
    if call_id:
        attrs["gen_ai.tool.call.id"] = call_id
    if description:
        attrs["gen_ai.tool.description"] = description
    with tracer.start_as_current_span(
        f"execute_tool {name}", kind=SpanKind.INTERNAL, attributes=attrs
    ) as span:
        yield span
