"""Tools and JSON mode through the official `openai` client, against the service under uvicorn:
tool_calls come back for a tools request (plain and streamed, and the round trip with the
tool's result ends in text), JSON mode answers parse, a json_schema answer parses into the
client's own pydantic model, and what the service does not honour is a 400 in OpenAI's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

import openai
import pytest
from pydantic import BaseModel

from tools.processes import RunningProcess, run_service

pytestmark = pytest.mark.contract

MODEL = "claude-haiku-4-5"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order by its number",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "integer"}},
            "required": ["order_id"],
        },
    },
}


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    with run_service({"SIM_LATENCY_MS": "0"}) as svc:
        yield svc


@pytest.fixture
def client(service: RunningProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=service.base_url + "/v1", api_key="unused", max_retries=0)


def test_a_tools_request_gets_tool_calls_with_arguments_from_the_prompt(
    client: openai.OpenAI,
) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What's the weather in Lisbon, in fahrenheit?"}],
        tools=[WEATHER_TOOL, ORDER_TOOL],  # type: ignore[list-item]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls and len(calls) == 1
    call = calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Lisbon", "unit": "fahrenheit"}  # type: ignore[union-attr]
    assert completion.usage is not None and completion.usage.completion_tokens > 0

    other = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Where is my order 4412?"}],
        tools=[WEATHER_TOOL, ORDER_TOOL],  # type: ignore[list-item]
    )
    args = other.choices[0].message.tool_calls[0].function  # type: ignore[index,union-attr]
    assert args.name == "lookup_order" and json.loads(args.arguments) == {"order_id": 4412}


def test_round_trip_with_the_tool_result_ends_in_text(client: openai.OpenAI) -> None:
    messages: list[dict[str, object]] = [
        {"role": "user", "content": "What's the weather in Oslo in celsius?"}
    ]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 4}'})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    assert second.choices[0].finish_reason in ("stop", "length")
    assert second.choices[0].message.content and not second.choices[0].message.tool_calls


def test_tool_choice_none_and_a_named_tool(client: openai.OpenAI) -> None:
    prompt = [{"role": "user", "content": "What's the weather in Rome?"}]
    plain = client.chat.completions.create(
        model=MODEL,
        messages=prompt,  # type: ignore[arg-type]
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice="none",
    )
    assert plain.choices[0].message.tool_calls is None and plain.choices[0].message.content
    named = client.chat.completions.create(
        model=MODEL,
        messages=prompt,  # type: ignore[arg-type]
        tools=[WEATHER_TOOL, ORDER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "lookup_order"}},
    )
    assert named.choices[0].message.tool_calls[0].function.name == "lookup_order"  # type: ignore[index,union-attr]


def test_streamed_tool_calls_accumulate_in_the_client(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris please"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        stream=True,
    )
    names, arguments, finish = [], "", None
    for chunk in stream:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                if delta.function and delta.function.name:
                    names.append(delta.function.name)
                arguments += (delta.function.arguments or "") if delta.function else ""
            finish = choice.finish_reason or finish
    assert names == ["get_weather"] and finish == "tool_calls"
    assert json.loads(arguments)["city"] == "Paris"


def test_json_object_mode_answers_parse(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Explain what an error budget is"}],
        response_format={"type": "json_object"},
    )
    value = json.loads(completion.choices[0].message.content or "")
    assert isinstance(value, dict) and "error budget" in value["topic"]


class Step(BaseModel):
    title: str
    minutes: int


class Runbook(BaseModel):
    summary: str
    severity: Literal["low", "medium", "high"]
    steps: list[Step]


def test_json_schema_answers_parse_into_the_clients_model(client: openai.OpenAI) -> None:
    # parse() sends the model as a strict json_schema and validates the answer with pydantic.
    parsed = client.chat.completions.parse(
        model=MODEL,
        messages=[
            {"role": "user", "content": "Write a high severity runbook for a 5 minute outage"}
        ],
        response_format=Runbook,
    )
    runbook = parsed.choices[0].message.parsed
    assert isinstance(runbook, Runbook)
    assert runbook.severity == "high" and runbook.steps and runbook.steps[0].minutes == 5


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"functions": [{"name": "f", "parameters": {}}]}, "functions"),
        ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools.0.type"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"response_format": {"type": "grammar"}}, "response_format.type"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "object", "oneOf": []}},
                }
            },
            "response_format.json_schema.schema",
        ),
    ],
)
def test_what_is_not_honoured_is_a_400_in_openais_shape(
    client: openai.OpenAI, extra: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            extra_body=extra,
        )
    error = info.value.body
    assert isinstance(error, dict) and error["param"] == param
    assert error["type"] == "invalid_request_error" and error["message"]
