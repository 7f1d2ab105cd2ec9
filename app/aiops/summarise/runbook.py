"""Remediation steps from an alert's runbook (docs/runbooks/<AlertName>.md, "Remediation")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")


@dataclass(frozen=True)
class Runbook:
    path: Path
    remediation: tuple[str, ...]


def runbook_name(alertname: str, runbook_url: str | None) -> str:
    """The file name to look for. Only the last path part is used, so a URL can't escape the
    runbooks directory."""
    if runbook_url:
        name = PurePosixPath(runbook_url.split("?", 1)[0].split("#", 1)[0]).name
        if name.endswith(".md"):
            return name
    return f"{PurePosixPath(alertname).name}.md"


#: Section titles that hold the steps to take, best first. The project's runbooks use
#: "Remediation"; some use "Act"; older habits say "Mitigation" or "Resolution".
SECTION_TITLES = ("remediation", "act", "actions", "mitigation", "resolution", "fix")


def _section(lines: list[str], title: str) -> list[str] | None:
    level = 0
    body: list[str] = []
    for line in lines:
        m = _HEADING.match(line)
        if m:
            if level and len(m.group(1)) <= level:
                break
            heading = m.group(2).strip().lower()
            if not level and (heading == title or heading.startswith(title + " ")):
                level = len(m.group(1))
                continue
        if level:
            body.append(line)
    return body if level else None


def remediation_steps(markdown: str) -> tuple[str, ...]:
    """Items of the first remediation-like section's lists; its paragraphs when it has none."""
    lines = markdown.splitlines()
    body: list[str] = []
    for title in SECTION_TITLES:
        found = _section(lines, title)
        if found is not None:
            body = found
            break
    items: list[str] = []
    paragraphs: list[str] = []
    current: list[str] = []
    in_item = False
    for line in body:
        item = _ITEM.match(line)
        if item:
            items.append(item.group(1).strip())
            in_item = True
        elif not line.strip():
            in_item = False
            if current:
                paragraphs.append(" ".join(current))
                current = []
        elif in_item and line.startswith((" ", "\t")):
            items[-1] = f"{items[-1]} {line.strip()}"
        else:
            in_item = False
            current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    return tuple(s for s in (items or paragraphs) if s)


def load(runbooks_dir: Path, alertname: str, runbook_url: str | None) -> Runbook | None:
    path = runbooks_dir / runbook_name(alertname, runbook_url)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return Runbook(path=path, remediation=remediation_steps(text))
