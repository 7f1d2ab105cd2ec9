"""Scoring a held-out injection set as the guard sees requests, and its report.

Each row is sent as a chat body (every role, template variables), validated and read by the
guard's own parser (chat_prompt), and scored by a scorer built with the guard's settings. A
prompt counts as caught when the guard acts on it at all (flag: a security event; block: a
400); the block-only rates are checked too.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from genai_service.api.openai_format import chat_prompt
from genai_service.api.schemas import ChatCompletionRequest
from genai_service.guardrails.injection import Action, InjectionScorer
from genai_service.guardrails.settings import GuardrailSettings

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "guardrails"


@dataclass(frozen=True)
class Scored:
    kind: str  # attack or benign
    family: str  # an attack family, or a benign prompt's class
    lookalike: bool
    action: Action


def body(row: dict[str, Any]) -> dict[str, Any]:
    if "messages" in row:
        messages = [{"role": m["role"], "content": m["text"]} for m in row["messages"]]
    elif "text" in row:
        messages = [{"role": row.get("role", "user"), "content": row["text"]}]
    else:
        # Template variables alone: a real request still needs a message to be valid.
        messages = [{"role": "user", "content": "Fill in the template."}]
    variables = {"template_variables": row["variables"]} if "variables" in row else {}
    return {"model": "lab-model", "messages": messages, **variables}


async def _score_all(rows: list[dict[str, Any]]) -> list[Scored]:
    settings = GuardrailSettings.from_env({})
    scorer = InjectionScorer(settings.injection_flag_threshold, settings.injection_block_threshold)
    out = []
    for row in rows:
        # What the guard reads of a validated body, as the route hands it over.
        prompt = chat_prompt(ChatCompletionRequest.model_validate(body(row)))
        verdict = await scorer.score_request_async(prompt.messages, prompt.variables)
        out.append(Scored(row["kind"], row["family"], bool(row.get("lookalike")), verdict.action))
    return out


def score_set(name: str) -> list[Scored]:
    rows = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))["prompts"]
    return asyncio.run(_score_all(rows))


def caught(items: list[Scored]) -> float:
    return sum(s.action is not Action.ALLOW for s in items) / len(items)


def blocked(items: list[Scored]) -> float:
    return sum(s.action is Action.BLOCK for s in items) / len(items)


def attacks(results: list[Scored]) -> list[Scored]:
    return [s for s in results if s.kind == "attack"]


def benign(results: list[Scored]) -> list[Scored]:
    return [s for s in results if s.kind == "benign"]


def lookalikes(results: list[Scored]) -> list[Scored]:
    return [s for s in benign(results) if s.lookalike]


def _line(label: str, items: list[Scored]) -> str:
    n_caught = sum(s.action is not Action.ALLOW for s in items)
    n_blocked = sum(s.action is Action.BLOCK for s in items)
    return (
        f"{label:<22} n={len(items):>3}  flagged-or-blocked {n_caught:>3} "
        f"({n_caught / len(items):.1%})  blocked {n_blocked:>3} ({n_blocked / len(items):.1%})"
    )


def report(results: list[Scored]) -> str:
    """Rates by attack family and for benign prompts; flagged benign classes by name only."""
    by_family: dict[str, list[Scored]] = defaultdict(list)
    for s in attacks(results):
        by_family[s.family].append(s)
    lines = ["attacks", _line("all", attacks(results))]
    lines += [_line(family, by_family[family]) for family in sorted(by_family)]
    others = [s for s in benign(results) if not s.lookalike]
    lines += ["benign", _line("all", benign(results)), _line("look-alikes", lookalikes(results))]
    if others:
        lines.append(_line("others", others))
    flagged = sorted({s.family for s in benign(results) if s.action is not Action.ALLOW})
    lines.append(f"benign classes flagged: {', '.join(flagged) or 'none'}")
    return "\n".join(lines)
