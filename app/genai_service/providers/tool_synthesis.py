"""The simulated model's tool calls and JSON answers: deterministic, and valid for the schema.

A tool is called when tools are offered, tool_choice allows it, the conversation is not already
answering a tool call, and the prompt asks for it (it mentions words from the tool's name or
description), or when tool_choice requires one. Arguments, and JSON-mode answers, are instances
of the given JSON Schema built from the prompt: enum values it names, numbers it contains,
capitalised words for places and names, and the simulated answer's sentences for free text.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

from genai_service.providers import simulated_text
from genai_service.providers.base import ChatRequest
from genai_service.providers.tool_types import ResponseFormat, ToolCall, ToolSpec

_WORD = re.compile(r"[a-z][a-z0-9]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_MAX_DEPTH = 12


def _words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower().replace("_", " ").replace("-", " ")):
        if len(w) >= 3 and w not in simulated_text._STOP:
            words.add(w[:5])  # a crude stem: "weather" meets "weathers", "forecast" "forecasts"
    return words


def _split_name(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")


def choose_tool(request: ChatRequest) -> ToolSpec | None:
    choice = request.tool_choice
    if not request.tools or choice is None or choice.mode == "none":
        return None
    if request.messages and request.messages[-1].role == "tool":
        return None  # the tool's result is in: now answer in words
    if choice.mode == "named":
        return next(t for t in request.tools if t.name == choice.name)
    prompt = _words(simulated_text.last_user_text(request.messages))
    best, score = None, 0
    for tool in request.tools:
        name_hits = len(prompt & _words(_split_name(tool.name)))
        description_hits = len(prompt & _words(tool.description))
        s = 2 * name_hits + description_hits
        if s > score:
            best, score = tool, s
    if best is None and choice.mode == "required":
        return request.tools[0]
    return best


def call_id(seed: int, request: ChatRequest, name: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((seed, request.model, name, [m.content for m in request.messages])).encode())
    return f"call_{h.hexdigest()}"


def tool_call(request: ChatRequest, seed: int) -> ToolCall | None:
    tool = choose_tool(request)
    if tool is None:
        return None
    prompt = simulated_text.last_user_text(request.messages)
    args = Instance(tool.parameters, prompt, [simulated_text.topic(prompt)]).build()
    return ToolCall(call_id(seed, request, tool.name), tool.name, json.dumps(args))


def json_answer(fmt: ResponseFormat, prompt: str, rng: random.Random, n_tokens: int) -> str:
    """A JSON text for JSON mode: the schema's instance, or {"answer", "topic"} without one."""
    sentences = _sentences("".join(simulated_text.compose(prompt, rng, n_tokens)))
    if fmt.kind == "json_schema" and fmt.schema:
        value = Instance(fmt.schema, prompt, sentences).build()
    else:
        value = {
            "intent": simulated_text.intent(prompt),
            "topic": simulated_text.topic(prompt),
            "answer": " ".join(sentences),
        }
    return json.dumps(value, ensure_ascii=False)


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?:])\s+", text) if p.strip()]
    return parts or ["OK."]


class Instance:
    """Builds one instance of a JSON Schema (the subset api/tool_format.py admits)."""

    def __init__(self, schema: dict[str, Any], prompt: str, texts: list[str]) -> None:
        self.root = schema
        self.prompt = prompt
        self.lower = prompt.lower()
        self.texts = texts or ["OK."]
        self._next_text = 0

    def build(self) -> Any:
        return self.value(self.root, "", 0)

    def _resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
            name = schema["$ref"].rsplit("/", 1)[-1]
            defs = self.root.get("$defs") or self.root.get("definitions") or {}
            schema = defs.get(name, {})
            seen += 1
        return schema

    def value(self, schema: Any, key: str, depth: int) -> Any:
        schema = self._resolve(schema)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            named = [v for v in schema["enum"] if isinstance(v, str) and v.lower() in self.lower]
            return named[0] if named else schema["enum"][0]
        if isinstance(schema.get("anyOf"), list) and schema["anyOf"]:
            branches = [self._resolve(b) for b in schema["anyOf"]]
            typed = [b for b in branches if isinstance(b, dict) and b.get("type") != "null"]
            return self.value((typed or branches)[0], key, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        builders = {
            "object": self._object,
            "array": self._array,
            "number": self._number,
            "integer": self._integer,
            "boolean": self._boolean,
            "null": self._null,
        }
        return builders.get(kind, self._string)(schema, key, depth)

    def _object(self, schema: dict[str, Any], key: str, depth: int) -> dict[str, Any]:
        props = schema.get("properties") or {}
        required = schema.get("required")
        keys = [k for k in props if required is None or k in required]
        if required is not None:
            keys += [k for k in props if k not in keys]  # strict schemas list them all anyway
        return {k: self.value(props[k], k, depth + 1) for k in keys}

    def _array(self, schema: dict[str, Any], key: str, depth: int) -> list[Any]:
        count = max(1, int(schema.get("minItems", 1) or 1))
        count = min(count, int(schema.get("maxItems", count)), 8)
        return [self.value(schema.get("items", {}), key, depth + 1) for _ in range(count)]

    def _number(self, schema: dict[str, Any], key: str, depth: int) -> float | int:
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        hi = schema.get("maximum", schema.get("exclusiveMaximum"))
        for raw in _NUMBER.findall(self.prompt):
            n = float(raw)
            if (lo is None or n >= lo) and (hi is None or n <= hi):
                return n
        if lo is not None:
            return float(lo) + (1 if "exclusiveMinimum" in schema else 0)
        return 1.0 if hi is None or hi >= 1 else float(hi)

    def _integer(self, schema: dict[str, Any], key: str, depth: int) -> int:
        return int(self._number(schema, key, depth))

    def _boolean(self, schema: dict[str, Any], key: str, depth: int) -> bool:
        return bool(re.search(r"\b(yes|true|enable|on)\b", self.lower))

    def _null(self, schema: dict[str, Any], key: str, depth: int) -> None:
        return None

    def _string(self, schema: dict[str, Any], key: str, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            return "2026-01-15"
        if fmt == "date-time":
            return "2026-01-15T09:00:00Z"
        if fmt == "email":
            return "user@example.com"
        if fmt in ("uri", "url"):
            return "https://example.com/"
        name = key.lower()
        text: str
        if any(h in name for h in ("location", "city", "place", "country", "name", "where")):
            found = _CAPITALISED.findall(self.prompt)
            text = found[0] if found else simulated_text.topic(self.prompt)
        elif any(h in name for h in ("query", "topic", "subject", "search", "keyword")):
            text = simulated_text.topic(self.prompt)
        else:
            text = self.texts[self._next_text % len(self.texts)]
            self._next_text += 1
        lo = int(schema.get("minLength", 0) or 0)
        hi = int(schema.get("maxLength", 10_000) or 10_000)
        text = text[:hi]
        return text + "." * max(0, lo - len(text))
