"""Remediation steps come from the alert's runbook; a missing runbook is not an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.summarise import runbook
from tests.support.aiops_fixtures import RUNBOOKS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[4]


def test_numbered_steps_with_continuation_lines_stop_at_the_next_section() -> None:
    book = runbook.load(RUNBOOKS, "UnhandledExceptions", "docs/runbooks/UnhandledExceptions.md")
    assert book is not None
    assert book.remediation == (
        "Find the failing route and exception type in the incident summary or the "
        '"Unhandled exceptions" panel.',
        "Open one of the listed trace ids in Tempo and read the exception event.",
        "Roll back the last deploy of genai-service if the errors began with it.",
    )


def test_bullets_under_a_deeper_heading() -> None:
    book = runbook.load(RUNBOOKS, "HighLatencyP95", None)
    assert book is not None and len(book.remediation) == 3
    assert book.remediation[1].startswith("Check provider throttling")


def test_missing_runbook_is_none() -> None:
    assert runbook.load(RUNBOOKS, "NoSuchAlert", "docs/runbooks/NoSuchAlert.md") is None


def test_runbook_url_cannot_escape_the_runbooks_directory() -> None:
    assert runbook.runbook_name("X", "../../etc/passwd.md") == "passwd.md"
    assert runbook.runbook_name("X", "https://git.example/docs/runbooks/X.md#remediation") == "X.md"
    assert runbook.runbook_name("X", "https://wiki.example/page") == "X.md"


def test_paragraphs_when_there_is_no_list_and_nothing_without_the_section() -> None:
    text = "# A\n\n## Remediation\n\nRestart the pod.\nThen watch.\n\n## Other\n\n- x\n"
    assert runbook.remediation_steps(text) == ("Restart the pod. Then watch.",)
    assert runbook.remediation_steps("# A\n\n## Triage\n\n- look\n") == ()


def test_project_runbooks_each_have_remediation_steps() -> None:
    books = sorted((ROOT / "docs" / "runbooks").glob("*.md"))
    if not books:
        pytest.skip("docs/runbooks has no runbooks yet")
    for path in books:
        if path.name.lower() in ("readme.md", "index.md", "_index.md"):
            continue
        steps = runbook.remediation_steps(path.read_text())
        assert steps, f"{path.name} has no Remediation steps aiops could use"


def test_an_act_section_is_used_when_there_is_no_remediation_section() -> None:
    text = "# A\n\n## Check\n\n- look\n\n## Act\n\n1. Block the key.\n2. Tell the tenant.\n"
    assert runbook.remediation_steps(text) == ("Block the key.", "Tell the tenant.")
    both = "## Act\n\n- later\n\n## Remediation\n\n- first\n"
    assert runbook.remediation_steps(both) == ("first",)
