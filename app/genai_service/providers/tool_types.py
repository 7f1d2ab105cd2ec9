"""Tools and structured output in the provider vocabulary (no HTTP or OpenAI shapes).

A request may offer tools (functions with a JSON Schema for their arguments), say how the model
may use them (tool_choice), and ask for JSON output (response_format). A result may carry tool
calls instead of text. Routes translate OpenAI's shapes to these (api/tool_format.py), each
provider maps them to its backend (simulated: tool_synthesis.py, Bedrock: bedrock_tools.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: "auto" (the model decides), "none", "required" (some tool), or one tool by name.
ToolChoiceMode = Literal["auto", "none", "required", "named"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # a JSON Schema object; {"type": "object"} when none was given


@dataclass(frozen=True)
class ToolChoice:
    mode: ToolChoiceMode = "auto"
    name: str | None = None  # with mode "named"


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON object, as OpenAI's wire format carries it


@dataclass(frozen=True)
class ResponseFormat:
    kind: Literal["text", "json_object", "json_schema"]
    schema: dict[str, Any] | None = None  # json_schema only
    name: str | None = None

    @property
    def wants_json(self) -> bool:
        return self.kind != "text"
