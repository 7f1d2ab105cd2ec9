"""Tools and JSON mode on Amazon Bedrock's Converse API.

Shapes from the botocore service model bedrock-runtime/2023-09-30 (ToolConfiguration, Tool,
ToolSpecification, ToolChoice, ToolUseBlock, ToolResultBlock, OutputConfig, and the stream's
ContentBlockStart/Delta/Stop events):

- tools -> toolConfig.tools[].toolSpec {name, description, inputSchema.json};
  tool_choice auto -> {"auto": {}}, required -> {"any": {}}, a named function ->
  {"tool": {"name"}}. Converse has no "none": the tools are then left out (or, when the
  conversation already holds tool blocks, which Converse requires a toolConfig for, sent with
  "auto" and an instruction not to call them).
- an assistant message's tool_calls -> toolUse blocks; a tool message -> a toolResult block in
  the user turn that follows.
- response_format json_schema -> outputConfig.textFormat (Converse's structured output, the
  schema as a JSON string); json_object, which has no schema, -> a system instruction to answer
  with one JSON object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from genai_service.providers.base import ChatRequest, Message
from genai_service.providers.tool_types import ToolCall

JSON_OBJECT_INSTRUCTION = (
    "Answer with exactly one JSON object and nothing else: no prose, no code fences."
)
NO_TOOLS_INSTRUCTION = "Do not call any tool in this answer; reply in text."


def _has_tool_blocks(request: ChatRequest) -> bool:
    return any(m.role == "tool" or m.tool_calls for m in request.messages)


def tool_config(request: ChatRequest) -> dict[str, Any] | None:
    if not request.tools:
        return None
    choice = request.tool_choice
    mode = choice.mode if choice is not None else "auto"
    if mode == "none" and not _has_tool_blocks(request):
        return None
    tools = [
        {
            "toolSpec": {
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "inputSchema": {"json": t.parameters},
            }
        }
        for t in request.tools
    ]
    if mode == "required":
        tool_choice: dict[str, Any] = {"any": {}}
    elif mode == "named" and choice is not None:
        tool_choice = {"tool": {"name": choice.name}}
    else:
        tool_choice = {"auto": {}}
    return {"tools": tools, "toolChoice": tool_choice}


def output_config(request: ChatRequest) -> dict[str, Any] | None:
    fmt = request.response_format
    if fmt is None or fmt.kind != "json_schema":
        return None
    definition: dict[str, Any] = {"schema": json.dumps(fmt.schema or {"type": "object"})}
    if fmt.name:
        definition["name"] = fmt.name
    return {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}


def extra_system(request: ChatRequest) -> list[dict[str, str]]:
    out = []
    if request.response_format is not None and request.response_format.kind == "json_object":
        out.append({"text": JSON_OBJECT_INSTRUCTION})
    if request.tools and request.tool_choice is not None and request.tool_choice.mode == "none":
        out.append({"text": NO_TOOLS_INSTRUCTION})
    return out


def _arguments(raw: str) -> Any:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = {"_raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def content_blocks(m: Message) -> list[dict[str, Any]]:
    """A message's Converse content blocks."""
    if m.role == "tool":
        return [
            {
                "toolResult": {
                    "toolUseId": m.tool_call_id or "unknown",
                    "content": [{"text": m.content or "(empty)"}],
                }
            }
        ]
    blocks: list[dict[str, Any]] = [{"text": m.content}] if m.content else []
    for c in m.tool_calls:
        blocks.append(
            {"toolUse": {"toolUseId": c.id, "name": c.name, "input": _arguments(c.arguments)}}
        )
    return blocks


def tool_calls_from(content: list[dict[str, Any]]) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(
            id=str(b["toolUse"].get("toolUseId", "")),
            name=str(b["toolUse"].get("name", "")),
            arguments=json.dumps(b["toolUse"].get("input", {}), ensure_ascii=False),
        )
        for b in content
        if "toolUse" in b
    )


@dataclass
class StreamedToolUse:
    """Assembles toolUse blocks from ConverseStream events (start, input deltas, stop)."""

    _open: dict[int, tuple[str, str, list[str]]] = field(default_factory=dict)

    def start(self, event: dict[str, Any]) -> None:
        use = event.get("start", {}).get("toolUse")
        if use is not None:
            index = int(event.get("contentBlockIndex", 0))
            self._open[index] = (str(use.get("toolUseId", "")), str(use.get("name", "")), [])

    def delta(self, event: dict[str, Any]) -> bool:
        """True when the delta was a tool's input (not text)."""
        use = event.get("delta", {}).get("toolUse")
        index = int(event.get("contentBlockIndex", 0))
        if use is None or index not in self._open:
            return False
        self._open[index][2].append(str(use.get("input", "")))
        return True

    def stop(self, event: dict[str, Any]) -> ToolCall | None:
        opened = self._open.pop(int(event.get("contentBlockIndex", 0)), None)
        if opened is None:
            return None
        call_id, name, parts = opened
        return ToolCall(call_id, name, "".join(parts) or "{}")
