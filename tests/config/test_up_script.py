"""scripts/up.sh's waiting logic, run by real bash against a scripted `docker` on PATH.

The stack itself needs a Docker engine (tests/stack); what is checked here is the part users
complained about in other labs: `make up` must not report success early, and on a timeout it
must say which service is not healthy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.config

HEALTHY = [
    ("genai-service", "running", "healthy", 0),
    ("aiops", "running", "healthy", 0),
    ("adot", "running", "healthy", 0),
    ("xray-daemon", "running", "", 0),
    ("prometheus", "running", "healthy", 0),
    ("alertmanager", "running", "healthy", 0),
    ("loki", "running", "healthy", 0),
    ("minio", "running", "healthy", 0),
    ("minio-init", "exited", "", 0),
    ("tempo", "running", "healthy", 0),
    ("grafana", "running", "healthy", 0),
    ("locust", "running", "healthy", 0),
]


def _fake_docker(bin_dir: Path, states: list[tuple[str, str, str, int]]) -> Path:
    """A `docker` that records every call and answers `compose ps --format TEMPLATE` by
    filling the Go template with the given states, as docker would."""
    script = textwrap.dedent(
        f"""\
        #!{sys.executable}
        import sys
        states = {states!r}
        args = sys.argv[1:]
        with open({str(bin_dir / "calls.log")!r}, "a") as log:
            log.write(" ".join(args) + "\\n")
        if "ps" in args:
            template = args[args.index("--format") + 1]
            for service, state, health, code in states:
                line = template
                for key, value in (("Service", service), ("State", state), ("Health", health),
                                   ("ExitCode", code)):
                    line = line.replace("{{{{." + key + "}}}}", str(value))
                print(line)
        elif "logs" in args:
            print("log line of the failing service")
        """
    )
    docker = bin_dir / "docker"
    docker.write_text(script)
    docker.chmod(0o755)
    return docker


def _run_up(
    tmp_path: Path, states: list[tuple[str, str, str, int]], timeout_s: int
) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_docker(bin_dir, states)
    # up.sh reads ports and bind address from .env; give it a copy in a scratch checkout.
    work = tmp_path / "repo"
    (work / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "up.sh", work / "scripts" / "up.sh")
    (work / ".env").write_text("BIND_ADDRESS=127.0.0.1\nGRAFANA_PORT=3300\n")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "UP_TIMEOUT": str(timeout_s)}
    return subprocess.run(
        [bash, str(work / "scripts" / "up.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_up_prints_urls_once_every_service_is_ready(tmp_path: Path) -> None:
    out = _run_up(tmp_path, HEALTHY, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every service is healthy" in out.stdout
    assert "http://127.0.0.1:3300" in out.stdout  # GRAFANA_PORT from .env
    assert "GRAFANA_ADMIN_PASSWORD in .env" in out.stdout
    calls = (tmp_path / "bin" / "calls.log").read_text()
    assert "pull --ignore-buildable" in calls
    assert "up -d" in calls


def test_up_names_the_unhealthy_service_on_timeout(tmp_path: Path) -> None:
    states = [s if s[0] != "loki" else ("loki", "running", "starting", 0) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=3)
    assert out.returncode == 1
    assert "NOT HEALTHY after 3s: loki (starting)" in out.stdout
    assert "last log lines of loki" in out.stdout
    assert "every service is healthy" not in out.stdout


def test_up_fails_fast_when_the_bucket_job_fails(tmp_path: Path) -> None:
    states = [s if s[0] != "minio-init" else ("minio-init", "exited", "", 1) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=60)
    assert out.returncode == 1
    assert "FAILED: minio-init (exited with 1)" in out.stdout


def test_up_fails_fast_when_a_service_exits(tmp_path: Path) -> None:
    states = [s if s[0] != "adot" else ("adot", "exited", "", 2) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=60)
    assert out.returncode == 1
    assert "FAILED: adot (exited with 2)" in out.stdout


def test_up_shows_each_phase_with_its_time_and_compose_progress(tmp_path: Path) -> None:
    out = _run_up(tmp_path, HEALTHY, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    for phase in ("pull", "build", "start", "healthy"):
        assert f"up: [{phase}] done in " in out.stdout, out.stdout
    assert "up: ready in " in out.stdout and "pull " in out.stdout.split("ready in", 1)[1]
    calls = (tmp_path / "bin" / "calls.log").read_text().splitlines()
    # compose's own progress output, not --quiet.
    pulls = [c for c in calls if " pull " in f" {c} "]
    builds = [c for c in calls if c.endswith(" build")]
    assert pulls and builds and not any("--quiet" in c for c in pulls + builds)


def test_up_reports_what_it_is_still_waiting_for(tmp_path: Path) -> None:
    states = [s if s[0] != "tempo" else ("tempo", "running", "starting", 0) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=3)
    assert "up: [healthy] 0s: waiting for 1: tempo (starting)" in out.stdout
