"""Real processes for contract and e2e tests: the service under uvicorn, Prometheus, Alertmanager.

Every process binds a free loopback port, is waited on until it answers its readiness URL, and
is stopped (and its output kept for the failure message) when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = ROOT / ".tools" / "bin"


def tools_required() -> bool:
    return os.environ.get("REQUIRE_TOOLS", "0") == "1"


def real_tool(name: str) -> Path:
    """Path of a real tool fetched by `make tools`; skips (or fails in CI) when it is missing."""
    candidate = TOOLS_BIN / name
    if candidate.exists() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    import pytest

    message = f"{name} is not installed: run `make tools`"
    if tools_required():
        pytest.fail(message + " (REQUIRE_TOOLS=1)")
    pytest.skip(message)


VENV_BIN = Path(sys.executable).parent


# Ports handed out recently, one empty file each, shared by every test process on this machine.
PORT_RESERVATIONS = Path(tempfile.gettempdir()) / "genai-lab-test-ports"
PORT_RESERVATION_S = 120  # longer than any process here takes to bind the port it was given


def free_port() -> int:
    """A loopback port nothing listens on, that no other caller gets for PORT_RESERVATION_S.

    The kernel hands a just-released port to the next asker, and the process given the port
    binds it only seconds later; parallel pytest workers (and other checkouts' test runs)
    asking at once could start two processes on one port, or wait on each other's readiness
    URL. A reservation file created with O_EXCL makes the choice exclusive across processes.
    """
    if not PORT_RESERVATIONS.is_dir():
        PORT_RESERVATIONS.mkdir(exist_ok=True)
    elif not _pruned:
        _prune_stale_reservations()
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if _reserve(PORT_RESERVATIONS / str(port)):
            return port
    raise RuntimeError(f"no free loopback port left unreserved in {PORT_RESERVATIONS}")


_pruned = False


def _prune_stale_reservations() -> None:
    """Once per process, so the folder holds only the last few minutes' ports."""
    global _pruned
    _pruned = True
    now = time.time()
    for marker in PORT_RESERVATIONS.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if now - marker.stat().st_mtime > PORT_RESERVATION_S:
                marker.unlink()


def _reserve(marker: Path) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        return True
    except FileExistsError:
        pass
    with contextlib.suppress(FileNotFoundError):
        if time.time() - marker.stat().st_mtime > PORT_RESERVATION_S:
            # Stale: whoever held it bound the port long ago or is gone. Freed for a later ask
            # rather than taken here, so two callers that both see it stale cannot both win.
            marker.unlink()
    return False


@dataclass
class RunningProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    base_url: str
    port: int
    extra: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None


def wait_ready(proc: RunningProcess, url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(
                f"{proc.name} exited with {proc.popen.returncode} before it was ready:\n"
                f"{proc.output()[-4000:]}"
            )
        try:
            r = httpx.get(url, timeout=2)
            if r.status_code == 200:
                return
            last_error = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    raise TimeoutError(
        f"{proc.name} not ready at {url} after {timeout_s}s ({last_error}):\n"
        f"{proc.output()[-4000:]}"
    )


@contextlib.contextmanager
def run_process(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    ready_path: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready_timeout_s: float = 30,
) -> Iterator[RunningProcess]:
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
    full_env = {**os.environ, **(env or {})}
    popen = subprocess.Popen(
        list(cmd),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=str(cwd or ROOT),
        start_new_session=True,
    )
    proc = RunningProcess(name, popen, Path(log.name), f"http://127.0.0.1:{port}", port)
    try:
        wait_ready(proc, proc.base_url + ready_path, ready_timeout_s)
        yield proc
    finally:
        stop(proc)
        log.close()


def stop(proc: RunningProcess, timeout_s: float = 15) -> None:
    if proc.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.popen.pid, signal.SIGTERM)
    try:
        proc.popen.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=5)


# Defaults for the service under test: no exporter unless a test asks for one, no AWS probing.
SERVICE_TEST_ENV = {
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONUNBUFFERED": "1",
}


def run_cli(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | str = ROOT,
) -> subprocess.CompletedProcess[str]:
    """A command run to completion (from the repository root by default), output as text."""
    return subprocess.run(
        list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def uvicorn_command(port: int, app: str = "genai_service.main:create_app") -> list[str]:
    """An app factory served by the venv's uvicorn on a loopback port."""
    uvicorn = str(VENV_BIN / "uvicorn")
    return [uvicorn, app, "--factory", "--host", "127.0.0.1", "--port", str(port)]


def service_command(port: int, app: str = "genai_service.main:create_app") -> list[str]:
    """The service's own server (genai_service.serve, as the image runs it) on a loopback port."""
    python = str(VENV_BIN / "python")
    return [
        python,
        "-m",
        "genai_service.serve",
        "--app",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


#: The simulated model answering at once: no first-token latency, no per-token delay.
INSTANT_MODEL = {"SIM_LATENCY_MS": "0", "SIM_TOKEN_MS": "0"}


def prometheus_exporter_env(port: int) -> dict[str, str]:
    """What makes a service serve its metrics natively (OTel's Prometheus exporter) on
    127.0.0.1:port, so a test reads them with no collector."""
    return {
        "OTEL_METRICS_EXPORTER": "prometheus",
        "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
    }


@contextlib.contextmanager
def run_service(
    env: dict[str, str] | None = None,
    *,
    app: str = "genai_service.main:create_app",
    ready_path: str = "/readyz",
    name: str = "genai-service",
) -> Iterator[RunningProcess]:
    """The service as a real uvicorn process on a free loopback port, started the way the
    image starts it (genai_service.serve: the server's header limits included)."""
    port = free_port()
    cmd = service_command(port, app)
    with run_process(
        name, cmd, port=port, ready_path=ready_path, env={**SERVICE_TEST_ENV, **(env or {})}
    ) as proc:
        yield proc


@contextlib.contextmanager
def _run_prometheus_project_tool(
    name: str, tool: str, config: Path, workdir: Path, *flags: str, ready_path: str = "/-/ready"
) -> Iterator[RunningProcess]:
    """A Prometheus-project binary from `make tools` (they share these flags) with its config
    file, on a free loopback port, working in workdir."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(real_tool(tool)),
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        *flags,
    ]
    with run_process(name, cmd, port=port, ready_path=ready_path, cwd=workdir) as proc:
        yield proc


@contextlib.contextmanager
def run_prometheus(
    config_yaml: str, workdir: Path, *, extra_args: Sequence[str] = ()
) -> Iterator[RunningProcess]:
    """Real Prometheus (from `make tools`) with the given config, on a free port.

    The config is written to workdir/prometheus.yml, so relative rule_files resolve there.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(config_yaml)
    with _run_prometheus_project_tool(
        "prometheus",
        "prometheus",
        config,
        workdir,
        f"--storage.tsdb.path={workdir / 'data'}",
        "--web.enable-remote-write-receiver",
        "--web.enable-lifecycle",
        "--enable-feature=exemplar-storage",
        *extra_args,
    ) as proc:
        yield proc


@contextlib.contextmanager
def run_alertmanager(config_path: Path, workdir: Path) -> Iterator[RunningProcess]:
    """Real Alertmanager (from `make tools`) with the given config, on a free port."""
    cluster_port = free_port()
    with _run_prometheus_project_tool(
        "alertmanager",
        "alertmanager",
        config_path,
        workdir,
        f"--storage.path={workdir / 'data'}",
        # A single node: no gossip, but the flag still needs a free port to bind.
        f"--cluster.listen-address=127.0.0.1:{cluster_port}",
        "--cluster.advertise-address=127.0.0.1:" + str(cluster_port),
    ) as proc:
        yield proc


@contextlib.contextmanager
def run_blackbox_exporter(config_path: Path, workdir: Path) -> Iterator[RunningProcess]:
    """Real blackbox exporter (from `make tools`) with the given modules, on a free port."""
    with _run_prometheus_project_tool(
        "blackbox-exporter", "blackbox_exporter", config_path, workdir, ready_path="/-/healthy"
    ) as proc:
        yield proc
