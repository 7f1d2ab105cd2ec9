"""Tools and JSON mode mapped to Bedrock Converse, checked by botocore against the
bedrock-runtime service model (the Stubber validates our parameters and the canned responses;
ConverseStream is answered with real event-stream bytes, as in test_bedrock.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from botocore.stub import Stubber

from genai_service.providers.base import ChatRequest, Message
from genai_service.providers.bedrock import BedrockProvider
from genai_service.providers.tool_types import ResponseFormat, ToolCall, ToolChoice, ToolSpec
from tests.unit.genai_service.providers.test_bedrock import (
    HAIKU,
    PRICING,
    _collect,
    answer_stream_with,
    event_message,
)

pytestmark = pytest.mark.unit


WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
)
USAGE = {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42}


def tools_request(**kw: Any) -> ChatRequest:
    return ChatRequest(
        model="claude-haiku-4-5",
        messages=(Message("user", "Weather in Lisbon?"),),
        tools=(WEATHER,),
        **kw,
    )


def answer(content: list[dict[str, Any]], stop: str = "end_turn") -> dict[str, Any]:
    """A Converse response with these content blocks."""
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": USAGE,
        "metrics": {"latencyMs": 300},
    }


def converse(client: Any, request: ChatRequest, response: dict[str, Any], **params: Any) -> Any:
    """One chat through Converse; botocore checks the parameters sent equal `params`."""
    with Stubber(client) as stub:
        stub.add_response("converse", response, expected_params=params)
        return asyncio.run(BedrockProvider(client, PRICING).chat(request))


def tool_spec_param() -> dict[str, Any]:
    return {
        "toolSpec": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "inputSchema": {"json": WEATHER.parameters},
        }
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ToolChoice("auto"), {"auto": {}}),
        (ToolChoice("required"), {"any": {}}),
        (ToolChoice("named", "get_weather"), {"tool": {"name": "get_weather"}}),
    ],
)
def test_tools_become_tool_config_and_tool_use_becomes_tool_calls(
    client: Any, choice: ToolChoice, expected: dict[str, Any]
) -> None:
    tool_use = {
        "toolUse": {
            "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
            "name": "get_weather",
            "input": {"city": "Lisbon"},
        }
    }
    result = converse(
        client,
        tools_request(tool_choice=choice),
        answer([{"text": "Let me check."}, tool_use], stop="tool_use"),
        modelId=HAIKU,
        messages=[{"role": "user", "content": [{"text": "Weather in Lisbon?"}]}],
        toolConfig={"tools": [tool_spec_param()], "toolChoice": expected},
    )
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls == (
        ToolCall("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "get_weather", '{"city": "Lisbon"}'),
    )
    assert result.text == "Let me check."


def test_a_tool_round_trip_becomes_tool_use_and_tool_result_blocks(client: Any) -> None:
    call = ToolCall("tooluse_1", "get_weather", '{"city": "Lisbon"}')
    request = ChatRequest(
        model="claude-haiku-4-5",
        messages=(
            Message("user", "Weather in Lisbon?"),
            Message("assistant", "", tool_calls=(call,)),
            Message("tool", '{"temp_c": 21}', tool_call_id="tooluse_1"),
        ),
        tools=(WEATHER,),
        tool_choice=ToolChoice("auto"),
    )
    result = converse(
        client,
        request,
        answer([{"text": "21 C and sunny."}]),
        modelId=HAIKU,
        messages=[
            {"role": "user", "content": [{"text": "Weather in Lisbon?"}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "get_weather",
                            "input": {"city": "Lisbon"},
                        }
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "tooluse_1",
                            "content": [{"text": '{"temp_c": 21}'}],
                        }
                    }
                ],
            },
        ],
        toolConfig={"tools": [tool_spec_param()], "toolChoice": {"auto": {}}},
    )
    assert result.text == "21 C and sunny." and result.finish_reason == "stop"


def test_json_schema_uses_converse_structured_output_and_json_object_an_instruction(
    client: Any,
) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    structured = ChatRequest(
        model="claude-haiku-4-5",
        messages=(Message("user", "Title for the report"),),
        response_format=ResponseFormat("json_schema", schema, "report"),
    )
    params = BedrockProvider(client, PRICING).converse_request(structured)
    assert params["outputConfig"] == {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "report"}},
        }
    }
    # botocore validates outputConfig against the service model.
    result = converse(client, structured, answer([{"text": '{"title": "Q3"}'}]), **params)
    assert json.loads(result.text) == {"title": "Q3"}

    loose = ChatRequest(
        model="claude-haiku-4-5",
        messages=(Message("user", "Any JSON"),),
        response_format=ResponseFormat("json_object"),
    )
    params = BedrockProvider(client, PRICING).converse_request(loose)
    assert "outputConfig" not in params
    assert "one JSON object" in params["system"][0]["text"]


def test_tool_choice_none_leaves_the_tools_out(client: Any) -> None:
    params = BedrockProvider(client, PRICING).converse_request(
        tools_request(tool_choice=ToolChoice("none"))
    )
    assert "toolConfig" not in params


def test_converse_stream_assembles_tool_use_input_deltas(client: Any) -> None:
    data = b"".join(
        [
            event_message("messageStart", {"role": "assistant"}),
            event_message(
                "contentBlockStart",
                {
                    "start": {"toolUse": {"toolUseId": "tooluse_9", "name": "get_weather"}},
                    "contentBlockIndex": 0,
                },
            ),
            event_message(
                "contentBlockDelta",
                {"delta": {"toolUse": {"input": '{"city": "Li'}}, "contentBlockIndex": 0},
            ),
            event_message(
                "contentBlockDelta",
                {"delta": {"toolUse": {"input": 'sbon"}'}}, "contentBlockIndex": 0},
            ),
            event_message("contentBlockStop", {"contentBlockIndex": 0}),
            event_message("messageStop", {"stopReason": "tool_use"}),
            event_message("metadata", {"usage": USAGE, "metrics": {"latencyMs": 40}}),
        ]
    )
    sent: list[dict[str, Any]] = []
    answer_stream_with(client, data, sent)
    chunks = asyncio.run(_collect(BedrockProvider(client, PRICING), tools_request()))
    calls = [c for chunk in chunks for c in chunk.tool_calls]
    assert calls == [ToolCall("tooluse_9", "get_weather", '{"city": "Lisbon"}')]
    assert chunks[-1].finish_reason == "tool_calls"
    assert sent[0]["toolConfig"]["toolChoice"] == {"auto": {}}
