"""Where every alert's runbook_url points: RUNBOOK_BASE_URL/<AlertName>.

The lab's aiops serves the runbooks (docs/runbooks) as pages at /runbooks/<AlertName>, so the
default is aiops on its published port; a docs site in AWS is one variable away:
`RUNBOOK_BASE_URL=https://docs.example.com/runbooks make dashboards`. Rule annotations are
static text, so the URL is fixed when the rule files are written: the generated slo.yml, and
the runbook_url lines of the hand-written rule files, rewritten in place (nothing else in them
changes).
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from dashgen.names import ROOT, RULES_DIR, SLO_RULES_FILE

DEFAULT_BASE_URL = "http://127.0.0.1:8001/runbooks"
#: promtool unit tests expect the annotations the rules produce, so they follow the same base.
RULE_TESTS_DIR = ROOT / "prometheus" / "tests"
_LINE = re.compile(r"^(?P<lead>\s*runbook_url:\s*)(?P<value>\S+)\s*$", re.MULTILINE)


def base_url() -> str:
    base = os.environ.get("RUNBOOK_BASE_URL", "").strip() or DEFAULT_BASE_URL
    if not re.match(r"^https?://[^\s\"']+$", base):
        raise ValueError(f"RUNBOOK_BASE_URL must be an http(s) URL, got {base!r}")
    return base.rstrip("/")


def runbook_url(alert: str) -> str:
    return f"{base_url()}/{alert}"


def alert_of(value: str) -> str:
    """The alert a runbook_url value names, whatever base it was written with."""
    return PurePosixPath(value.strip("'\"")).name.removesuffix(".md")


def rewrite(text: str) -> str:
    return _LINE.sub(lambda m: m.group("lead") + runbook_url(alert_of(m.group("value"))), text)


def rule_files() -> dict[Path, str]:
    """The hand-written rule files and promtool tests with runbook_url at the current base."""
    # Every rule file but the generated one, which slo.py writes with the URL already in it.
    paths = [p for p in sorted(RULES_DIR.glob("*.yml")) if p != SLO_RULES_FILE]
    paths += sorted(RULE_TESTS_DIR.glob("*.yml"))
    return {path: rewrite(path.read_text()) for path in paths}
