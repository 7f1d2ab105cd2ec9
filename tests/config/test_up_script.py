"""scripts/up.sh's waiting logic, run by real bash against a scripted `docker` on PATH.

The stack itself needs a Docker engine (tests/stack); what is checked here is the part users
complained about in other labs: `make up` must not report success early, and on a timeout it
must say which service is not healthy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.processes import run_cli

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
    ("blackbox-exporter", "running", "healthy", 0),
    ("grafana-token", "exited", "", 0),
]


REGISTRY_DOWN = (
    "Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: "
    "lookup registry-1.docker.io: no such host"
)


@dataclass(frozen=True)
class Docker:
    """What the fake `docker` plays: versions, whether a registry answers, what is present."""

    states: list[tuple[str, str, str, int]] = field(default_factory=lambda: list(HEALTHY))
    engine: str = "28.5.1"
    compose: str = "2.40.3"
    registry: bool = True
    app_image_present: bool = True
    other_images_present: bool = True


def _fake_docker(bin_dir: Path, docker: Docker) -> Path:
    """A `docker` that records every call, answers `compose ps --format TEMPLATE` by filling
    the Go template with the given states, as docker would, and fails whatever would need a
    registry it does not have: any pull of an image, or a build (BuildKit checks the base
    image's metadata online)."""
    script = textwrap.dedent(
        f"""\
        #!{sys.executable}
        import sys
        d = {asdict(docker)!r}
        args = sys.argv[1:]
        with open({str(bin_dir / "calls.log")!r}, "a") as log:
            log.write(" ".join(args) + "\\n")

        def fail(message, code=1):
            print(message, file=sys.stderr)
            sys.exit(code)

        if args[:1] == ["version"]:
            print(d["engine"])
        elif args[:1] == ["info"]:
            pass
        elif args[:2] == ["image", "inspect"]:
            sys.exit(0 if d["app_image_present"] else 1)
        elif args[:1] == ["compose"] and "version" in args:
            print(d["compose"] if "--short" in args else "Docker Compose version v" + d["compose"])
        elif "pull" in args:
            present = d["app_image_present"] and d["other_images_present"]
            nothing_to_pull = "--policy" in args and args[args.index("--policy") + 1] == "missing"
            if not d["registry"] and not (nothing_to_pull and present):
                fail({REGISTRY_DOWN!r}, 18)
        elif "build" in args:
            if not d["registry"]:
                fail("failed to resolve source metadata: " + {REGISTRY_DOWN!r})
        elif "up" in args:
            if not d["registry"] and ("--build" in args or "always" in args):
                fail({REGISTRY_DOWN!r}, 18)
        elif "ps" in args:
            template = args[args.index("--format") + 1]
            for service, state, health, code in d["states"]:
                line = template
                for key, value in (("Service", service), ("State", state), ("Health", health),
                                   ("ExitCode", code)):
                    line = line.replace("{{{{." + key + "}}}}", str(value))
                print(line)
        elif "logs" in args:
            print("log line of the failing service")
        """
    )
    path = bin_dir / "docker"
    path.write_text(script)
    path.chmod(0o755)
    return path


def _scratch_checkout(tmp_path: Path, *files: str) -> Path:
    work = tmp_path / "repo"
    for name in files:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, work / name)
    return work


def _env(tmp_path: Path, docker: Docker, timeout_s: int) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_docker(bin_dir, docker)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "UP_TIMEOUT": str(timeout_s)}


def _run_up(
    tmp_path: Path, states: list[tuple[str, str, str, int]] | Docker, timeout_s: int
) -> subprocess.CompletedProcess[str]:
    docker = states if isinstance(states, Docker) else Docker(states=states)
    bash = shutil.which("bash")
    assert bash
    env = _env(tmp_path, docker, timeout_s)
    # up.sh reads ports and bind address from .env; give it a copy in a scratch checkout.
    work = _scratch_checkout(tmp_path, "scripts/up.sh")
    (work / ".env").write_text("BIND_ADDRESS=127.0.0.1\nGRAFANA_PORT=3300\n")
    return run_cli([bash, str(work / "scripts" / "up.sh")], env=env, timeout=60)


def _calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "bin" / "calls.log").read_text().splitlines()


def test_up_prints_urls_once_every_service_is_ready(tmp_path: Path) -> None:
    out = _run_up(tmp_path, HEALTHY, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every service is healthy" in out.stdout
    assert "http://127.0.0.1:3300" in out.stdout  # GRAFANA_PORT from .env
    assert "GRAFANA_ADMIN_PASSWORD in .env" in out.stdout
    calls = "\n".join(_calls(tmp_path))
    assert "pull --ignore-buildable --policy missing" in calls
    assert "up -d" in calls


def test_up_says_grafana_needs_the_login_unless_anonymous_access_is_on(tmp_path: Path) -> None:
    out = _run_up(tmp_path, HEALTHY, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    grafana = next(line for line in out.stdout.splitlines() if "http://127.0.0.1:3300" in line)
    assert "log in as admin" in grafana and "anonymous" not in grafana.lower(), grafana


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_up_warns_when_grafana_anonymous_is_on(tmp_path: Path, where: str) -> None:
    env = _env(tmp_path, Docker(states=HEALTHY), timeout_s=10)
    env.pop("GRAFANA_ANONYMOUS", None)
    work = _scratch_checkout(tmp_path, "scripts/up.sh")
    dotenv = "GRAFANA_PORT=3300\n"
    if where == "environment":
        env["GRAFANA_ANONYMOUS"] = "true"
    else:
        dotenv += "GRAFANA_ANONYMOUS=true\n"
    (work / ".env").write_text(dotenv)
    out = run_cli(["bash", str(work / "scripts" / "up.sh")], env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    grafana = next(line for line in out.stdout.splitlines() if "http://127.0.0.1:3300" in line)
    assert "GRAFANA_ANONYMOUS" in grafana and "/ingester/shutdown" in grafana, grafana


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


def test_up_fails_fast_when_the_grafana_token_job_fails(tmp_path: Path) -> None:
    states = [s if s[0] != "grafana-token" else ("grafana-token", "exited", "", 1) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=60)
    assert out.returncode == 1
    assert "FAILED: grafana-token (exited with 1)" in out.stdout


def test_up_fails_fast_when_a_service_exits(tmp_path: Path) -> None:
    states = [s if s[0] != "adot" else ("adot", "exited", "", 2) for s in HEALTHY]
    out = _run_up(tmp_path, states, timeout_s=60)
    assert out.returncode == 1
    assert "FAILED: adot (exited with 2)" in out.stdout


# ------------------------------------------------------------------ offline, versions


OFFLINE = Docker(registry=False)


def test_a_second_up_starts_offline_with_every_image_present(tmp_path: Path) -> None:
    out = _run_up(tmp_path, OFFLINE, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every service is healthy" in out.stdout
    # The rebuild could not reach the registry; the image built before is used, and said so.
    assert "could not rebuild it (offline?)" in out.stdout
    calls = _calls(tmp_path)
    pulls = [c for c in calls if " pull" in c]
    assert pulls and all("--policy missing" in c for c in pulls), pulls
    ups = [c for c in calls if " up " in c]
    assert len(ups) == 1 and "--pull never" in ups[0] and "--no-build" in ups[0], ups


def test_up_offline_without_the_app_image_says_the_first_build_needs_the_network(
    tmp_path: Path,
) -> None:
    out = _run_up(tmp_path, Docker(registry=False, app_image_present=False), timeout_s=10)
    assert out.returncode == 1
    assert "FAILED: building genai-lab-app:local" in out.stdout
    assert not any(" up " in c for c in _calls(tmp_path))


def test_up_offline_with_an_image_missing_says_what_to_do(tmp_path: Path) -> None:
    out = _run_up(tmp_path, Docker(registry=False, other_images_present=False), timeout_s=10)
    assert out.returncode == 1
    assert "FAILED: pulling the missing images" in out.stdout
    assert "registry-1.docker.io" in out.stderr
    assert not any(" up " in c for c in _calls(tmp_path))


@pytest.mark.parametrize(
    ("docker", "message"),
    [
        (
            Docker(engine="20.10.24+dfsg1"),
            "Docker Engine 20.10.24+dfsg1 is too old: the lab needs Engine 25.0.0 or newer",
        ),
        (Docker(engine="24.0.9"), "Docker Engine 24.0.9 is too old"),
        (
            Docker(compose="2.23.3"),
            "Docker Compose 2.23.3 is too old: the lab needs Compose 2.24.0 or newer",
        ),
        (Docker(engine=""), "cannot read the Docker Engine version"),
    ],
)
def test_up_refuses_engines_and_compose_too_old_for_the_lab(
    docker: Docker, message: str, tmp_path: Path
) -> None:
    out = _run_up(tmp_path, docker, timeout_s=10)
    assert out.returncode == 1
    assert message in out.stdout
    assert "Upgrade Docker Desktop" in out.stdout or "cannot read" in out.stdout
    # Refused before building, pulling or creating anything.
    assert not any(k in c for c in _calls(tmp_path) for k in (" build", " pull", " up "))


@pytest.mark.parametrize(
    ("engine", "compose"), [("25.0.0", "2.24.0"), ("28.5.1", "v2.40.3-desktop.1")]
)
def test_up_accepts_the_minimum_versions_and_newer(
    engine: str, compose: str, tmp_path: Path
) -> None:
    out = _run_up(tmp_path, Docker(engine=engine, compose=compose), timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr


def test_make_up_reaches_healthy_offline_with_every_image_present(tmp_path: Path) -> None:
    # Through the Makefile, as a user runs it: docker-check, .env generation, then up.sh.
    env = _env(tmp_path, OFFLINE, timeout_s=10)
    work = _scratch_checkout(
        tmp_path, "Makefile", "scripts/up.sh", "scripts/make-env.sh", ".env.example", "versions.env"
    )
    out = run_cli(["make", "--no-print-directory", "-C", str(work), "up"], env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "every service is healthy" in out.stdout
    assert not any(" pull" in c and "--policy missing" not in c for c in _calls(tmp_path))


def test_make_pull_updates_every_image_on_purpose(tmp_path: Path) -> None:
    env = _env(tmp_path, Docker(), timeout_s=10)
    work = _scratch_checkout(
        tmp_path, "Makefile", "scripts/make-env.sh", ".env.example", "versions.env"
    )
    out = run_cli(["make", "--no-print-directory", "-C", str(work), "pull"], env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    calls = _calls(tmp_path)
    assert any(c.endswith("pull --ignore-buildable") for c in calls), calls
    assert any(c.endswith("build --pull") for c in calls), calls


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
    # The elapsed seconds depend on how fast the machine runs the script: any count will do.
    assert re.search(r"up: \[healthy\] \d+s: waiting for 1: tempo \(starting\)", out.stdout), (
        out.stdout
    )


def test_up_lists_no_backend_port_unless_publish_asks(tmp_path: Path) -> None:
    out = _run_up(tmp_path, HEALTHY, timeout_s=10)
    assert out.returncode == 0, out.stdout + out.stderr
    # Prometheus, Alertmanager, Loki and Tempo are not published: no URL for them.
    for port in (9090, 9093, 3100, 3200, 9000, 9115):
        assert f":{port}" not in out.stdout, out.stdout
    assert "Explore" in out.stdout and "Alerting" in out.stdout
    assert not any("publish.yml" in c for c in _calls(tmp_path))


def test_publish_adds_each_named_override_and_prints_its_url(tmp_path: Path) -> None:
    docker = Docker(states=HEALTHY)
    env = {**_env(tmp_path, docker, timeout_s=10), "PUBLISH": "prometheus,loki"}
    work = _scratch_checkout(
        tmp_path, "scripts/up.sh", "prometheus/publish.yml", "loki/publish.yml"
    )
    (work / ".env").write_text("BIND_ADDRESS=127.0.0.1\nPROMETHEUS_PORT=19090\n")
    out = run_cli(["bash", str(work / "scripts" / "up.sh")], env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    up = next(c for c in _calls(tmp_path) if " up -d" in f" {c}")
    assert "-f prometheus/publish.yml -f loki/publish.yml" in up, up
    assert "Prometheus       http://127.0.0.1:19090" in out.stdout, out.stdout
    assert "remote-write receiver is open too" in out.stdout
    assert "Loki API         http://127.0.0.1:3100" in out.stdout


def test_publish_of_an_unknown_name_stops_before_anything_starts(tmp_path: Path) -> None:
    env = {**_env(tmp_path, Docker(states=HEALTHY), timeout_s=10), "PUBLISH": "../etc"}
    work = _scratch_checkout(tmp_path, "scripts/up.sh", "prometheus/publish.yml")
    (work / ".env").write_text("PUBLISH=ignored-when-the-environment-sets-it\n")
    out = run_cli(["bash", str(work / "scripts" / "up.sh")], env=env, timeout=60)
    assert out.returncode == 1
    assert "PUBLISH names '../etc'" in out.stdout and "prometheus" in out.stdout
    # Checked before docker is asked anything at all.
    assert not (tmp_path / "bin" / "calls.log").exists()


def test_publish_is_read_from_dotenv_quoted_or_not(tmp_path: Path) -> None:
    env = {**_env(tmp_path, Docker(states=HEALTHY), timeout_s=10), "PUBLISH": ""}
    work = _scratch_checkout(tmp_path, "scripts/up.sh", "prometheus/publish.yml")
    (work / ".env").write_text('PUBLISH="prometheus"\n')
    out = run_cli(["bash", str(work / "scripts" / "up.sh")], env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    up = next(c for c in _calls(tmp_path) if " up -d" in f" {c}")
    assert "-f prometheus/publish.yml" in up, up
