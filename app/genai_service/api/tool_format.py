"""OpenAI's tools, tool_choice and response_format into the provider vocabulary, and a 400 in
OpenAI's error shape for everything this service does not honour (never a silent ignore).

Tool definitions and JSON Schemas are untrusted input: their count, size and nesting are
bounded, and the schema keywords the lab can honour are listed; anything else is refused with
the parameter that carried it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from genai_service.api.schemas import ChatCompletionRequest
from genai_service.errors import APIError
from genai_service.providers.tool_types import ResponseFormat, ToolChoice, ToolSpec

MAX_TOOLS_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 10
MAX_SCHEMA_PROPERTIES = 1000
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# The JSON Schema keywords both providers honour (the simulator generates instances from them;
# Bedrock passes them on). Annotations are accepted and ignored by design.
SCHEMA_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "items", "enum", "const", "description", "title",
        "default", "examples", "additionalProperties", "minItems", "maxItems", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "format",
        "anyOf", "$defs", "definitions", "$ref", "$schema", "$id", "nullable", "pattern",
        "multipleOf", "uniqueItems", "propertyNames", "minProperties", "maxProperties",
    }
)  # fmt: skip
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
# Declared in schemas.py only so that using them is refused here, by name.
UNSUPPORTED_PARAMS = {
    "functions": "The legacy 'functions' parameter is not supported: use 'tools'.",
    "function_call": "The legacy 'function_call' parameter is not supported: use 'tool_choice'.",
    "logprobs": "'logprobs' is not supported by this service.",
    "top_logprobs": "'top_logprobs' is not supported by this service.",
    "logit_bias": "'logit_bias' is not supported by this service.",
    "audio": "Audio output is not supported by this service.",
    "prediction": "Predicted outputs ('prediction') are not supported by this service.",
    "web_search_options": "Web search is not supported by this service.",
}


def _bad(message: str, param: str, reason: str = "unsupported_parameter") -> APIError:
    return APIError(400, message, reason=reason, param=param, code=reason)


def check_unsupported(body: ChatCompletionRequest) -> None:
    for field, message in UNSUPPORTED_PARAMS.items():
        value = getattr(body, field)
        if value is None or value is False or value == {} or value == []:
            continue
        raise _bad(message, field)
    if body.modalities is not None and body.modalities != ["text"]:
        raise _bad("Only text output is supported by this service.", "modalities")


def _walk(schema: Any, param: str, depth: int = 0, counted: list[int] | None = None) -> None:
    counted = counted if counted is not None else [0]
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise _bad(f"'{param}' must be a JSON Schema object.", param, "invalid_schema")
    if depth > MAX_SCHEMA_DEPTH:
        raise _bad(
            f"'{param}' is nested deeper than {MAX_SCHEMA_DEPTH} levels.", param, "invalid_schema"
        )
    unknown = sorted(set(schema) - SCHEMA_KEYWORDS)
    if unknown:
        raise _bad(
            f"JSON Schema keyword(s) {', '.join(unknown)} in '{param}' are not supported by "
            f"this service (supported: {', '.join(sorted(SCHEMA_KEYWORDS))}).",
            param,
            "unsupported_schema",
        )
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    if any(k not in _JSON_TYPES for k in kinds):
        raise _bad(f"'{param}' has an unknown type {kind!r}.", param, "invalid_schema")
    ref = schema.get("$ref")
    if ref is not None and not (
        isinstance(ref, str) and re.fullmatch(r"#/(\$defs|definitions)/[\w.-]+", ref)
    ):
        raise _bad(
            f"Only local references (#/$defs/...) are supported in '{param}'.",
            param,
            "unsupported_schema",
        )
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise _bad(f"'properties' in '{param}' must be an object.", param, "invalid_schema")
    counted[0] += len(props)
    if counted[0] > MAX_SCHEMA_PROPERTIES:
        raise _bad(
            f"'{param}' has more than {MAX_SCHEMA_PROPERTIES} properties.", param, "invalid_schema"
        )
    children: list[Any] = list(props.values())
    for key in ("$defs", "definitions"):
        defs = schema.get(key, {})
        if not isinstance(defs, dict):
            raise _bad(f"'{key}' in '{param}' must be an object.", param, "invalid_schema")
        children += list(defs.values())
    items = schema.get("items")
    if items is not None:
        children.append(items)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        children.append(extra)
    any_of = schema.get("anyOf", [])
    if not isinstance(any_of, list):
        raise _bad(f"'anyOf' in '{param}' must be a list.", param, "invalid_schema")
    children += any_of
    for child in children:
        _walk(child, param, depth + 1, counted)


def check_schema(schema: Any, param: str) -> dict[str, Any]:
    _walk(schema, param)
    if not isinstance(schema, dict):
        raise _bad(f"'{param}' must be a JSON Schema object.", param, "invalid_schema")
    return schema


def to_tools(body: ChatCompletionRequest) -> tuple[tuple[ToolSpec, ...], ToolChoice | None]:
    tools: list[ToolSpec] = []
    if body.tools:
        size = len(json.dumps([t.model_dump(by_alias=True) for t in body.tools], default=str))
        if size > MAX_TOOLS_BYTES:
            raise _bad(
                f"The tool definitions are {size} bytes; at most {MAX_TOOLS_BYTES} are allowed.",
                "tools",
                "tools_too_large",
            )
    for i, tool in enumerate(body.tools or []):
        param = f"tools.{i}"
        if tool.type != "function" or tool.function is None:
            raise _bad(
                f"Tool type {tool.type!r} is not supported by this service: only 'function'.",
                f"{param}.type",
            )
        fn = tool.function
        if not _NAME.fullmatch(fn.name):
            raise _bad(
                f"Invalid tool name {fn.name[:80]!r}: use 1 to 64 letters, digits, _ or -.",
                f"{param}.function.name",
                "invalid_tool",
            )
        if any(t.name == fn.name for t in tools):
            raise _bad(
                f"Tool {fn.name!r} is defined twice.", f"{param}.function.name", "invalid_tool"
            )
        parameters = fn.parameters if fn.parameters is not None else {"type": "object"}
        check_schema(parameters, f"{param}.function.parameters")
        if parameters.get("type", "object") != "object":
            raise _bad(
                "A tool's parameters must be a JSON Schema of type 'object'.",
                f"{param}.function.parameters",
                "invalid_schema",
            )
        tools.append(ToolSpec(fn.name, fn.description or "", parameters))
    return tuple(tools), _tool_choice(body, tools)


def _tool_choice(body: ChatCompletionRequest, tools: list[ToolSpec]) -> ToolChoice | None:
    choice = body.tool_choice
    if choice is None:
        return ToolChoice("auto") if tools else None
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise _bad(
                f"tool_choice {choice[:40]!r} is not one of 'auto', 'none', 'required'.",
                "tool_choice",
                "invalid_tool_choice",
            )
        if choice == "required" and not tools:
            raise _bad(
                "tool_choice 'required' needs 'tools'.", "tool_choice", "invalid_tool_choice"
            )
        return ToolChoice(choice)  # type: ignore[arg-type]
    if choice.type != "function":
        raise _bad(
            f"tool_choice of type {choice.type[:40]!r} is not supported: only 'function'.",
            "tool_choice.type",
        )
    name = (choice.function or {}).get("name")
    if not isinstance(name, str) or not any(t.name == name for t in tools):
        raise _bad(
            "tool_choice names a function that is not among 'tools'.",
            "tool_choice.function.name",
            "invalid_tool_choice",
        )
    return ToolChoice("named", name)


def to_response_format(body: ChatCompletionRequest) -> ResponseFormat | None:
    rf = body.response_format
    if rf is None:
        return None
    if rf.type == "text":
        return ResponseFormat("text")
    if rf.type == "json_object":
        return ResponseFormat("json_object")
    if rf.type == "json_schema":
        if rf.json_schema is None:
            raise _bad(
                "response_format of type 'json_schema' needs 'json_schema'.",
                "response_format.json_schema",
                "invalid_response_format",
            )
        schema = rf.json_schema.schema_ if rf.json_schema.schema_ is not None else {}
        check_schema(schema, "response_format.json_schema.schema")
        return ResponseFormat("json_schema", schema, rf.json_schema.name)
    raise _bad(
        f"response_format type {rf.type[:40]!r} is not supported: use 'text', 'json_object' "
        "or 'json_schema'.",
        "response_format.type",
    )
