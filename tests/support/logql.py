"""LogQL stream selectors and the rule Loki applies to them before running a query.

Loki refuses a query whose stream selector has no matcher that rejects the empty string
("queries require at least one regexp or equality matcher that does not have an
empty-compatible value"; grafana/loki pkg/logql/syntax/parser.go validateMatchers, which keeps
the matchers for which `matcher.Matches("")` is false, pkg/util SplitFiltersAndMatchers).
Regular expressions are anchored at both ends, as Loki (and Prometheus) anchor them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_MATCHER = re.compile(
    r"""\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|`[^`]*`)\s*(?:,|$)"""
)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches_empty(self) -> bool:
        if self.op == "=":
            return self.value == ""
        if self.op == "!=":
            return self.value != ""
        full = re.fullmatch(self.value, "") is not None
        return full if self.op == "=~" else not full


def stream_selectors(query: str) -> list[str]:
    """The `{...}` stream selectors of a LogQL query, skipping quoted strings (line filters,
    label_format and line_format templates may hold braces)."""
    out: list[str] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch in '"`':
            i = _after_string(query, i)
            continue
        if ch == "{":
            end = i + 1
            while query[end] != "}":
                end = _after_string(query, end) if query[end] in '"`' else end + 1
            out.append(query[i : end + 1])
            i = end + 1
            continue
        i += 1
    return out


def _after_string(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while text[i] != quote:
        i += 2 if quote == '"' and text[i] == "\\" else 1
    return i + 1


def matchers(selector: str) -> list[Matcher]:
    body = selector.strip()[1:-1]
    out: list[Matcher] = []
    pos = 0
    while pos < len(body.strip()):
        m = _MATCHER.match(body, pos)
        if m is None:
            raise ValueError(f"not a stream selector: {selector!r}")
        raw = m.group("value")
        value = json.loads(raw) if raw.startswith('"') else raw[1:-1]
        out.append(Matcher(m.group("name"), m.group("op"), value))
        pos = m.end()
    return out


def loki_refuses(selector: str) -> bool:
    """True when every matcher of the selector accepts the empty string (Loki says 400)."""
    return all(m.matches_empty() for m in matchers(selector))
