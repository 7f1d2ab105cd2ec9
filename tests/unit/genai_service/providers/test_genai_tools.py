"""Tool and JSON-mode attributes on the GenAI span, and the execute_tool span (conventions
v1.41), through the same in-memory pipeline as test_instrumented.py."""

from __future__ import annotations

import json
import uuid

import pytest
from opentelemetry.trace import SpanKind

from genai_service.providers import genai_tools
from genai_service.providers import instrumented as genai
from genai_service.providers.base import ChatRequest, Message
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider
from genai_service.providers.tool_types import ResponseFormat, ToolChoice, ToolSpec

pytestmark = pytest.mark.unit

WEATHER = ToolSpec(
    "get_weather",
    "Weather for a city; escalate to ops@example.com",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def request(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(model=f"m-{uuid.uuid4().hex[:8]}", messages=(Message("user", text),), **kw)  # type: ignore[arg-type]


def wrapped(capture: bool) -> genai.InstrumentedProvider:
    return genai.InstrumentedProvider(
        SimulatedProvider(SimulatedConfig(latency_ms=0)), None, capture_content=capture
    )


def span_for(pipeline, req: ChatRequest):
    spans = [s for s in pipeline.spans() if s.name == f"chat {req.model}"]
    assert len(spans) == 1
    return spans[0]


async def test_tool_call_attributes_without_content_capture(pipeline) -> None:
    req = request("Weather in Lisbon?", tools=(WEATHER,), tool_choice=ToolChoice("auto"))
    result = await wrapped(False).chat(req)
    assert result.tool_calls
    a = span_for(pipeline, req).attributes
    assert tuple(a["genai_lab.request.tool_names"]) == ("get_weather",)
    assert a["genai_lab.request.tool_choice"] == "auto"
    assert tuple(a["genai_lab.response.tool_calls"]) == ("get_weather",)
    assert tuple(a["gen_ai.response.finish_reasons"]) == ("tool_calls",)
    # Definitions and call arguments are content: opt-in only.
    assert "gen_ai.tool.definitions" not in a and "gen_ai.output.messages" not in a


async def test_with_capture_definitions_and_calls_are_recorded_redacted(pipeline) -> None:
    req = request("Weather in Lisbon?", tools=(WEATHER,), tool_choice=ToolChoice("required"))
    await wrapped(True).chat(req)
    a = span_for(pipeline, req).attributes
    definitions = json.loads(a["gen_ai.tool.definitions"])
    assert definitions[0]["name"] == "get_weather" and definitions[0]["type"] == "function"
    assert "ops@example.com" not in a["gen_ai.tool.definitions"]
    output = json.loads(a["gen_ai.output.messages"])
    part = output[0]["parts"][0]
    assert part["type"] == "tool_call" and part["name"] == "get_weather"
    assert part["arguments"] == {"city": "Lisbon"}


async def test_streamed_tool_calls_are_recorded(pipeline) -> None:
    req = request("Weather in Rome?", tools=(WEATHER,), tool_choice=ToolChoice("auto"))
    chunks = [c async for c in wrapped(False).chat_stream(req)]
    assert any(c.tool_calls for c in chunks)
    a = span_for(pipeline, req).attributes
    assert tuple(a["genai_lab.response.tool_calls"]) == ("get_weather",)


async def test_json_mode_sets_the_output_type(pipeline) -> None:
    req = request("Summarise the launch", response_format=ResponseFormat("json_object"))
    result = await wrapped(False).chat(req)
    assert isinstance(json.loads(result.text), dict)
    assert span_for(pipeline, req).attributes["gen_ai.output.type"] == "json"


def test_execute_tool_span_follows_the_convention(pipeline) -> None:
    with genai_tools.execute_tool_span("get_weather", "call_1", "Weather for a city"):
        pass
    span = next(s for s in pipeline.spans() if s.name == "execute_tool get_weather")
    assert span.kind is SpanKind.INTERNAL
    a = span.attributes
    assert a["gen_ai.operation.name"] == "execute_tool"
    assert a["gen_ai.tool.name"] == "get_weather" and a["gen_ai.tool.call.id"] == "call_1"
    assert a["gen_ai.tool.type"] == "function"
