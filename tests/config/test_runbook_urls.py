"""Every alert's runbook_url is a real URL: RUNBOOK_BASE_URL/<AlertName> (aiops serves the page),
and one variable moves all of them, generated and hand-written rules and their promtool tests."""

from __future__ import annotations

import re

import pytest
import yaml

from dashgen import runbooks
from dashgen.build import outputs
from dashgen.catalogue import rules
from dashgen.names import ROOT, RULES_DIR

pytestmark = pytest.mark.config


def alerts_in(files: dict) -> dict[str, str]:
    found = {}
    for path, text in files.items():
        if path.parent != RULES_DIR:
            continue
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found[rule["alert"]] = rule["annotations"]["runbook_url"]
    return found


def test_committed_rules_link_to_the_page_aiops_serves_for_each_runbook() -> None:
    committed = {p: p.read_text() for p in RULES_DIR.glob("*.yml")}
    links = alerts_in(committed)
    assert links
    for alert, url in links.items():
        assert url == f"{runbooks.DEFAULT_BASE_URL}/{alert}"
        assert (ROOT / "docs" / "runbooks" / f"{alert}.md").is_file(), alert


def test_runbook_base_url_moves_every_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_BASE_URL", "https://docs.example.com/lab/runbooks/")
    files = outputs()
    links = alerts_in(files)
    # Every alert of every rule file, hand-written or generated, is among the outputs.
    assert set(links) == {r["alert"] for r in rules() if "alert" in r}
    assert links and all(
        url == f"https://docs.example.com/lab/runbooks/{a}" for a, url in links.items()
    )
    every = "\n".join(files.values())
    stale = re.findall(r"runbook_url:\s*(\S+)", every)
    assert stale and all(u.startswith("https://docs.example.com/") for u in stale)


@pytest.mark.parametrize("bad", ["docs/runbooks", "javascript:alert(1)", 'http://x/"y'])
def test_a_base_that_is_not_an_http_url_is_refused(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("RUNBOOK_BASE_URL", bad)
    with pytest.raises(ValueError, match="RUNBOOK_BASE_URL"):
        runbooks.runbook_url("CrashStorm")


def test_rewrite_keeps_everything_but_the_url() -> None:
    text = "  annotations:\n    runbook_url: docs/runbooks/CrashStorm.md\n    dashboard: x\n"
    url = f"{runbooks.DEFAULT_BASE_URL}/CrashStorm"
    assert runbooks.rewrite(text) == f"  annotations:\n    runbook_url: {url}\n    dashboard: x\n"
