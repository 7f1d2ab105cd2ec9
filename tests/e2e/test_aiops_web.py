"""aiops's read-only HTML view, as a browser and a plain HTTP client see it: the incident list,
one incident with its summary and links, the runbooks, and untrusted alert labels escaped."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.aiops_fixtures import load_json
from tests.support.aiops_service import WEBHOOK_AUTH, run_aiops, wait_incident
from tests.support.browser import chromium_page
from tools.processes import ROOT, RunningProcess

pytestmark = pytest.mark.e2e

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'


def hostile_crashstorm() -> dict[str, Any]:
    """The recorded CrashStorm notification with attacker-chosen label and annotation text."""
    payload = copy.deepcopy(load_json("alertmanager/crashstorm-firing.json"))
    for labels in [payload["commonLabels"], *(a["labels"] for a in payload["alerts"])]:
        labels["http_route"] = SCRIPT
        labels["tenant"] = IMG
    for notes in [
        payload["commonAnnotations"],
        *(a["annotations"] for a in payload["alerts"]),
    ]:
        notes["description"] = f"crashes {SCRIPT}"
        notes["runbook_url"] = "http://127.0.0.1:8001/runbooks/CrashStorm"
    return payload


@pytest.fixture(scope="module")
def aiops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningProcess, str]]:
    incidents = tmp_path_factory.mktemp("incidents")
    with run_aiops(incidents, GRAFANA_PUBLIC_URL="http://127.0.0.1:3999") as proc:
        r = httpx.post(
            proc.base_url + "/alerts", json=hostile_crashstorm(), headers=WEBHOOK_AUTH, timeout=5
        )
        assert r.status_code == 200, r.text
        incident_id = r.json()["incident_id"]
        wait_incident(proc.base_url, incident_id)
        yield proc, incident_id


def test_root_leads_to_the_incident_list(aiops: tuple[RunningProcess, str]) -> None:
    proc, incident_id = aiops
    r = httpx.get(proc.base_url + "/", follow_redirects=True, timeout=5)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f"/ui/incidents/{incident_id}" in r.text and "CrashStorm" in r.text


def test_incident_page_escapes_labels_and_forbids_scripts(
    aiops: tuple[RunningProcess, str],
) -> None:
    proc, incident_id = aiops
    r = httpx.get(f"{proc.base_url}/ui/incidents/{incident_id}", timeout=5)
    assert r.status_code == 200
    assert SCRIPT not in r.text and IMG not in r.text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in r.text
    assert "<script" not in r.text.lower()
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    # The links the issue asks for: dashboard, runbook (served here), JSON.
    assert 'href="http://127.0.0.1:3999/d/genai-service-overview?' in r.text
    assert 'href="/runbooks/CrashStorm"' in r.text


def test_runbook_is_served_as_html_from_docs(aiops: tuple[RunningProcess, str]) -> None:
    proc, _ = aiops
    r = httpx.get(proc.base_url + "/runbooks/CrashStorm", timeout=5)
    assert r.status_code == 200
    assert "<h1>CrashStorm</h1>" in r.text and "<h2>Remediation</h2>" in r.text
    index = httpx.get(proc.base_url + "/runbooks", timeout=5).text
    names = sorted(p.stem for p in (ROOT / "docs" / "runbooks").glob("*.md") if p.stem != "README")
    assert all(f'href="/runbooks/{n}"' in index for n in names)


@pytest.mark.parametrize(
    "path", ["/runbooks/NoSuchAlert", "/runbooks/..%2F..%2FREADME", "/runbooks/.env"]
)
def test_unknown_or_crafted_runbook_names_are_404(
    aiops: tuple[RunningProcess, str], path: str
) -> None:
    proc, _ = aiops
    r = httpx.get(proc.base_url + path, timeout=5)
    # An encoded slash never reaches the handler (no route matches); either way nothing leaks.
    assert r.status_code == 404 and "GenAI Observability Lab" not in r.text


def test_unknown_incident_is_a_404_page(aiops: tuple[RunningProcess, str]) -> None:
    proc, _ = aiops
    r = httpx.get(proc.base_url + "/ui/incidents/%3Cscript%3E", timeout=5)
    assert r.status_code == 404 and "<script" not in r.text.lower()


def test_in_chromium_the_summary_shows_labels_stay_text_and_the_runbook_link_works(
    aiops: tuple[RunningProcess, str],
) -> None:
    proc, incident_id = aiops
    summary = wait_incident(proc.base_url, incident_id)["summary"]
    with chromium_page() as page:
        page.navigate(proc.base_url + "/")
        assert "CrashStorm" in page.text
        page.click(f'a[href="/ui/incidents/{incident_id}"]')
        text = page.text
        assert summary["title"] in text and summary["likely_cause"] in text
        assert "Next steps" in text
        # The hostile labels are shown as text, and nothing they carried ran or became markup.
        assert SCRIPT in text and IMG in text
        assert page.evaluate("window.__pwned === undefined") is True
        assert page.evaluate("document.querySelectorAll('script, img').length") == 0
        page.click('a[href="/runbooks/CrashStorm"]')
        assert page.url.endswith("/runbooks/CrashStorm")
        assert page.evaluate("document.querySelector('h1').innerText") == "CrashStorm"
        assert "Remediation" in page.text
