"""Chat-completion throughput of one service process pinned to one core.

    make bench            (all benchmarks)
    python -m bench throughput

The service runs as the lab runs it (uvicorn with uvloop/httptools, one process) pinned to core
0 with `taskset`, with zero simulated latency and the response cache off, so every request goes
through validation, the orchestrator, the provider seam and the simulated model. The load comes
from `wrk` pinned to the other core(s). Without wrk, a multi-process Python generator takes its
place and the result is marked as a lower bound, because Python may then be the bottleneck.

Variants, measured side by side in one run:
  telemetry-on   OTel SDK on: spans, metrics and logs recorded, but no exporter configured, so
                 no collector is needed; the cost of exporting too is measured by
                 bench_telemetry_overhead.py, whose "on" arm exports everything over OTLP
  sdk-disabled   OTEL_SDK_DISABLED=true
The server's CPU use during each run is printed, and the rate is also given per CPU-second of
the server: near 100% of one core means the service, not the load generator, was the
bottleneck; well under it means something else (a busy machine) held it back.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.processes import free_port, run_process, uvicorn_command  # noqa: E402

DURATION_S = float(os.environ.get("BENCH_DURATION_S", "10"))
WARMUP_S = 2.0
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
TARGET_RPS = 1000.0
BODY = {
    "model": "claude-haiku-4-5",
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "How do I export my data as CSV?"},
    ],
    "max_tokens": 64,
}
BASE_ENV = {
    "SIM_LATENCY_MS": "0",
    "CACHE_ENABLED": "false",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONUNBUFFERED": "1",
}
VARIANTS = {"telemetry-on": {}, "sdk-disabled": {"OTEL_SDK_DISABLED": "true"}}


@dataclass
class Result:
    rps: float
    non_2xx: int
    server_cpu: float  # fraction of one core used by the server during the run
    generator: str


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(launcher_pid: int) -> int:
    """uvicorn runs in the process taskset exec'd into; fall back to its only child."""
    children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children")
    kids = children.read_text().split() if children.exists() else []
    return int(kids[0]) if kids else launcher_pid


# -- load generators -------------------------------------------------------------------------
def wrk_command(url: str, seconds: float, script: Path, cores: str) -> list[str]:
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "-s", str(script), url]
    return ["taskset", "-c", cores, *cmd] if cores else cmd


def run_wrk(url: str, seconds: float, cores: str) -> tuple[float, int]:
    body = json.dumps(BODY)
    lua = (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        'wrk.headers["X-Tenant-ID"] = "acme"\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run(
        wrk_command(url, seconds, Path(f.name), cores), capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
    return rps, (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0)


async def _py_worker(host: str, port: int, path: str, until: float, conns: int) -> tuple[int, int]:
    body = json.dumps(BODY).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Tenant-ID: acme\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body

    async def one() -> tuple[int, int]:
        reader, writer = await asyncio.open_connection(host, port)
        ok = bad = 0
        while time.monotonic() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                ok += 1
            else:
                bad += 1
        writer.close()
        return ok, bad

    results = await asyncio.gather(*(one() for _ in range(conns)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _py_process(args: tuple[str, int, str, float, int], queue: mp.Queue[tuple[int, int]]) -> None:
    queue.put(asyncio.run(_py_worker(*args)))


def run_python_generator(port: int, seconds: float, cores: list[int]) -> tuple[float, int]:
    procs: list[mp.Process] = []
    queue: mp.Queue[tuple[int, int]] = mp.Queue()
    until = time.monotonic() + seconds
    per = max(1, CONNECTIONS // max(1, len(cores)))
    slots: list[int | None] = list(cores) or [None]
    for core in slots:
        p = mp.Process(
            target=_py_process,
            args=(("127.0.0.1", port, "/v1/chat/completions", until, per), queue),
        )
        p.start()
        if core is not None and p.pid is not None:
            os.sched_setaffinity(p.pid, {core})
        procs.append(p)
    totals = [queue.get(timeout=seconds + 30) for _ in procs]
    for p in procs:
        p.join()
    return sum(t[0] for t in totals) / seconds, sum(t[1] for t in totals)


# -- one variant -----------------------------------------------------------------------------
def measure(variant_env: dict[str, str], use_wrk: bool) -> Result:
    cores = sorted(os.sched_getaffinity(0))
    server_core, load_cores = cores[0], cores[1:] or cores
    port = free_port()
    cmd = ["taskset", "-c", str(server_core), *uvicorn_command(port)]
    env = {**BASE_ENV, **variant_env}
    with run_process("genai-service", cmd, port=port, ready_path="/readyz", env=env) as svc:
        url = f"{svc.base_url}/v1/chat/completions"
        load = ",".join(str(c) for c in load_cores)
        pid = server_pid(svc.popen.pid)
        if use_wrk:
            run_wrk(url, WARMUP_S, load)
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            rps, bad = run_wrk(url, DURATION_S, load)
            generator = f"wrk -t1 -c{CONNECTIONS} on core(s) {load}"
        else:
            run_python_generator(port, WARMUP_S, load_cores)
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            rps, bad = run_python_generator(port, DURATION_S, load_cores)
            generator = f"python asyncio generator, {len(load_cores)} process(es) on {load}"
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    return Result(rps=rps, non_2xx=bad, server_cpu=cpu, generator=generator)


def main() -> None:
    if shutil.which("taskset") is None:
        print("taskset (util-linux) is missing: cannot pin the server to one core", file=sys.stderr)
        raise SystemExit(2)
    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        print(
            "NOTE: wrk is not installed (Debian/Ubuntu: apt-get install wrk; macOS: brew install "
            "wrk). Falling back to a Python load generator: the figures below are a LOWER BOUND, "
            "since Python may be the bottleneck rather than the service."
        )
    print(
        f"chat completions, SIM_LATENCY_MS=0, cache off, {DURATION_S:.0f}s per variant after "
        f"{WARMUP_S:.0f}s warm-up, {CONNECTIONS} connections; server pinned to one core"
    )
    results = {name: measure(env, use_wrk) for name, env in VARIANTS.items()}
    for name, r in results.items():
        # Per CPU-second of the server: the same figure on a quiet machine, and still fair when
        # other processes share the server's core.
        per_cpu = r.rps / r.server_cpu if r.server_cpu > 0 else 0.0
        verdict = "meets" if per_cpu >= TARGET_RPS else "BELOW"
        print(
            f"  {name:<13} {r.rps:7.0f} requests/s on the pinned core, server CPU "
            f"{r.server_cpu:4.0%} -> {per_cpu:6.0f} requests per server CPU-second ({verdict} "
            f"the {TARGET_RPS:.0f}/core target); errors {r.non_2xx}; load: {r.generator}"
        )
    on, off = (r.rps / r.server_cpu if r.server_cpu else 0.0 for r in results.values())
    if off > 0:
        print(
            f"  ratio telemetry-on (no export) / sdk-disabled (per CPU-second) = {on / off:.3f} "
            f"(telemetry costs {1 - on / off:.1%} of throughput)"
        )
    if any(r.server_cpu < 0.85 for r in results.values()):
        print(
            "  NOTE: the server got well under one core (other processes on its core, or the "
            "load generator limited it): trust the per-CPU-second figure, not the raw rate."
        )


if __name__ == "__main__":
    main()
