"""The injection corpora and the rates the scorer gets on them.

.venv/bin/python -m tests.unit.genai_service.guardrails.corpus     # prints the rates per split
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from genai_service.guardrails.injection import Action, InjectionScorer

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "guardrails"


def load(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())["prompts"]


@dataclass(frozen=True)
class Rates:
    n: int
    flagged_or_blocked: float
    blocked: float


def rates(name: str, split: str | None, scorer: InjectionScorer | None = None) -> Rates:
    scorer = scorer or InjectionScorer()
    rows = [r for r in load(name) if split is None or r["split"] == split]
    actions = [scorer.score([r["text"]]).action for r in rows]
    return Rates(
        n=len(rows),
        flagged_or_blocked=sum(a is not Action.ALLOW for a in actions) / len(rows),
        blocked=sum(a is Action.BLOCK for a in actions) / len(rows),
    )


def family_rates(name: str, kind: str, scorer: InjectionScorer | None = None) -> Rates:
    """Rates on a family file (dev_families or heldout_families): attacks or benign rows."""
    scorer = scorer or InjectionScorer()
    rows = [r for r in load(name) if r["kind"] == kind]
    actions = [scorer.score_request([("user", r["text"])]).action for r in rows]
    return Rates(
        n=len(rows),
        flagged_or_blocked=sum(a is not Action.ALLOW for a in actions) / len(rows),
        blocked=sum(a is Action.BLOCK for a in actions) / len(rows),
    )


def request(row: dict[str, Any]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """A request-shaped row (dev_requests): its (role, text) messages and template variables."""
    if "messages" in row:
        messages = [(m["role"], m["text"]) for m in row["messages"]]
    elif "text" in row:
        messages = [(row.get("role", "user"), row["text"])]
    else:
        messages = []
    return messages, dict(row.get("variables") or {})


def request_rates(name: str, kind: str, scorer: InjectionScorer | None = None) -> Rates:
    """Rates on a file of whole requests (any role, several turns, template variables)."""
    scorer = scorer or InjectionScorer()
    rows = [r for r in load(name) if r["kind"] == kind]
    actions = [scorer.score_request(*request(r)).action for r in rows]
    return Rates(
        n=len(rows),
        flagged_or_blocked=sum(a is not Action.ALLOW for a in actions) / len(rows),
        blocked=sum(a is Action.BLOCK for a in actions) / len(rows),
    )


def report() -> str:
    lines = []
    for name, what in (("injection_attacks", "detection"), ("benign_prompts", "false positive")):
        for split in ("dev", "heldout", None):
            r = rates(name, split)
            lines.append(
                f"{name:18} {split or 'all':8} n={r.n:3d}  {what} rate "
                f"(flagged or blocked) {r.flagged_or_blocked:.3f}  blocked {r.blocked:.3f}"
            )
    for name in ("dev_families", "heldout_families"):
        for kind, what in (("attack", "detection"), ("benign", "false positive")):
            r = family_rates(name, kind)
            lines.append(
                f"{name:18} {kind:8} n={r.n:3d}  {what} rate "
                f"(flagged or blocked) {r.flagged_or_blocked:.3f}  blocked {r.blocked:.3f}"
            )
    for kind, what in (("attack", "detection"), ("benign", "false positive")):
        r = request_rates("dev_requests", kind)
        lines.append(
            f"{'dev_requests':18} {kind:8} n={r.n:3d}  {what} rate "
            f"(flagged or blocked) {r.flagged_or_blocked:.3f}  blocked {r.blocked:.3f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
