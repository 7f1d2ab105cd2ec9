"""Telemetry overhead: chat-completion throughput with telemetry fully on vs OTEL_SDK_DISABLED.

Two service processes run side by side for the whole benchmark:
- on:  traces, metrics and logs exported over OTLP/gRPC to a sink process (it acknowledges and
       discards, standing in for the collector), every instrumentation and the GenAI seam on;
- off: OTEL_SDK_DISABLED=true, so no provider, exporter or instrumentation exists.
Everything else is the same: zero simulated latency (by default), the response cache off (so
every request reaches the provider and the seam), rate limits off, background activity off,
uvicorn's access log on (stdout JSON in both; OTLP as well when on).

Rounds interleave the two (on/off, then off/on, ...), each after a short warm-up, so drift in
the machine's load hits both alike. The figure is the ratio of total requests per second,
on / off; the lab's target is >= 0.90 (0.95 ideal).

Both services are pinned to the same core (only one is under load at a time) and the load
comes from bench_throughput's generator (wrk, or its Python fallback) on the other core(s).
Besides requests per second, the server's CPU time per request is printed: it is less
sensitive to a busy machine than throughput.

Knobs: BENCH_SIM_LATENCY_MS and BENCH_SIM_TOKEN_MS (0, 0), BENCH_ROUNDS (6), BENCH_SECONDS per
measurement (5), BENCH_CONNECTIONS (32, read by bench_throughput), and
BENCH_ON_ENV="NAME=value,..." to change the "on" arm (for example OTEL_LOGS_EXPORTER=none
prices the OTLP logs alone), and BENCH_PART_ENV="NAME=value,..." to add a third arm, "part":
the "on" arm with those variables too, and "part-off", the "off" arm with them, all interleaved,
so one part's share of the telemetry cost is measured side by side (CALL_RECORDS_ENABLED=false
prices the call records): what it adds to the telemetry (on - off, with and without the part),
and all it costs the "on" arm, telemetry or not.

At the end, the stock SDK's cost for the issue's minimum telemetry per request is measured on
the same core against the same sink (bench/sdk_floor.py), once after each round so the machine's
drift hits it as it hits the arms (medians), with the best ratio it leaves. Two more arms,
"stock" and "stock-off", serve that same minimum instrumented the stock way in a bare FastAPI
app (bench/stock_app.py: no lab code), so the floor's tight loops are read beside what the
stock SDK costs when its calls come from a request, and the lab's telemetry beside both.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The load generator is bench_throughput's (wrk when installed, else its multi-process Python
# generator), so both benchmarks load the service the same way.
from bench.bench_throughput import (  # noqa: E402
    BODY,
    cpu_seconds,
    run_python_generator,
    run_wrk,
    server_pid,
)
from bench.sdk_floor import Floor, otlp_sink  # noqa: E402
from bench.sdk_floor import measure as measure_floor  # noqa: E402
from tools.processes import RunningProcess, free_port, run_process, uvicorn_command  # noqa: E402

TARGET = 0.90
LAB_APP = "genai_service.main:create_app"
STOCK_APP = "bench.stock_app:create_app"
WARMUP_S = 1.0
SERVICE_ENV = {
    # BENCH_SIM_LATENCY_MS / BENCH_SIM_TOKEN_MS: a slower simulated model (the lab's defaults
    # are 250 and 5), where throughput is bound by the model's latency rather than by CPU.
    "SIM_LATENCY_MS": os.environ.get("BENCH_SIM_LATENCY_MS", "0"),
    "SIM_TOKEN_MS": os.environ.get("BENCH_SIM_TOKEN_MS", "0"),
    "CACHE_ENABLED": "false",
    "RATE_LIMITS_ENABLED": "false",
    "LOG_GENERATOR_ENABLED": "false",
    "SIMULATED_USERS_ENABLED": "false",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONUNBUFFERED": "1",
}


@dataclass
class Measurement:
    rps: float
    errors: int
    cpu_us_per_request: float  # server CPU time per answered request


@contextlib.contextmanager
def service(
    name: str, env: dict[str, str], core: int | None, app: str = LAB_APP
) -> Iterator[RunningProcess]:
    port = free_port()
    cmd = uvicorn_command(port, app)
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    with run_process(name, cmd, port=port, ready_path="/readyz", env=env) as proc:
        yield proc


def load(proc: RunningProcess, seconds: float, cores: list[int], use_wrk: bool) -> Measurement:
    pid = server_pid(proc.popen.pid)
    url = f"{proc.base_url}/v1/chat/completions"
    generate = (
        (lambda s: run_wrk(url, s, ",".join(map(str, cores))))
        if use_wrk
        else (lambda s: run_python_generator(proc.port, s, cores))
    )
    generate(WARMUP_S)
    cpu0 = cpu_seconds(pid)
    rps, errors = generate(seconds)
    cpu = cpu_seconds(pid) - cpu0
    requests = max(1.0, rps * seconds)
    return Measurement(rps=rps, errors=errors, cpu_us_per_request=cpu / requests * 1e6)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_pairs(name: str) -> dict[str, str]:
    """NAME="A=1,B=2" as {"A": "1", "B": "2"}."""
    return dict(kv.split("=", 1) for kv in os.environ.get(name, "").split(",") if kv)


def main() -> float:
    rounds = _env_int("BENCH_ROUNDS", 6)
    seconds = float(os.environ.get("BENCH_SECONDS", 5))
    use_wrk = shutil.which("wrk") is not None
    cores = sorted(os.sched_getaffinity(0))
    # Both services share one core (only one is loaded at a time); the generator gets the rest.
    server_core, load_cores = (cores[0], cores[1:]) if len(cores) > 1 else (None, cores)
    with otlp_sink() as endpoint:
        on_env = {
            **SERVICE_ENV,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_METRIC_EXPORT_INTERVAL": "10000",
            # BENCH_ON_ENV="A=1,B=2": extra variables for the "on" arm, to price one part.
            **_env_pairs("BENCH_ON_ENV"),
        }
        off_env = {**SERVICE_ENV, "OTEL_SDK_DISABLED": "true"}
        part_env = _env_pairs("BENCH_PART_ENV")
        with contextlib.ExitStack() as stack:
            arms = {
                "on": stack.enter_context(service("telemetry-on", on_env, server_core)),
                "off": stack.enter_context(service("telemetry-off", off_env, server_core)),
            }
            # The same minimum instrumented the stock way (bench/stock_app.py): what the stock
            # SDK costs a request, as against the floor its tight loops measure.
            arms["stock"] = stack.enter_context(service("stock-on", on_env, server_core, STOCK_APP))
            arms["stock-off"] = stack.enter_context(
                service("stock-off", off_env, server_core, STOCK_APP)
            )
            if part_env:
                arms["part"] = stack.enter_context(
                    service("telemetry-part", {**on_env, **part_env}, server_core)
                )
                arms["part-off"] = stack.enter_context(
                    service("telemetry-part-off", {**off_env, **part_env}, server_core)
                )
            results: dict[str, list[Measurement]] = {arm: [] for arm in arms}
            floors: list[Floor] = []
            print(
                f"chat completions ({BODY['model']}), "
                f"SIM_LATENCY_MS={SERVICE_ENV['SIM_LATENCY_MS']}, "
                f"SIM_TOKEN_MS={SERVICE_ENV['SIM_TOKEN_MS']}, cache off; "
                f"{rounds} rounds x {seconds:.0f}s per arm; servers on core {server_core}, "
                f"load from {'wrk' if use_wrk else 'python generator'} on {load_cores}",
                flush=True,
            )
            for r in range(rounds):
                order = list(arms) if r % 2 == 0 else list(reversed(arms))
                for arm in order:
                    m = load(arms[arm], seconds, load_cores, use_wrk)
                    results[arm].append(m)
                    print(
                        f"  round {r + 1} {arm:>8}: {m.rps:8.1f} req/s  "
                        f"{m.cpu_us_per_request:7.1f} us CPU/request  errors {m.errors}",
                        flush=True,
                    )
                # The stock SDK on the same core and sink: what the issue's minimum costs
                # before any lab code runs.
                floors.append(measure_floor(endpoint, server_core))
                print(f"  round {r + 1} floor: {floors[-1].per_request_us:.0f} us", flush=True)
    rps = {arm: statistics.mean(m.rps for m in ms) for arm, ms in results.items()}
    cpu = {arm: statistics.median(m.cpu_us_per_request for m in ms) for arm, ms in results.items()}
    ratio = rps["on"] / rps["off"]
    floor = Floor.median(floors)
    print(
        f"telemetry on : {rps['on']:8.1f} req/s, {cpu['on']:7.1f} us CPU/request\n"
        f"telemetry off: {rps['off']:8.1f} req/s, {cpu['off']:7.1f} us CPU/request\n"
        f"ratio on/off : {ratio:.3f} throughput (target >= {TARGET:.2f}); "
        f"CPU per request off/on {cpu['off'] / cpu['on']:.3f}",
        flush=True,
    )
    print(
        f"floor        : {floor.describe()}, so the best ratio a request of "
        f"{cpu['off']:.0f} us can reach is {floor.best_ratio(cpu['off']):.3f}; "
        f"0.90 leaves {cpu['off'] / TARGET - cpu['off']:.0f} us for all telemetry",
        flush=True,
    )
    # The lab's telemetry per request (CPU on minus CPU off) against the stock SDK's floor for
    # the same minimum, both measured in this run.
    # And the same minimum instrumented the stock way, in a request rather than a tight loop.
    telemetry_us = cpu["on"] - cpu["off"]
    stock_us = cpu["stock"] - cpu["stock-off"]
    print(
        f"telemetry    : {telemetry_us:.0f} us CPU/request, "
        f"{telemetry_us / floor.per_request_us:.2f}x the stock SDK floor "
        f"({floor.per_request_us:.0f} us)\n"
        f"stock app    : the issue's minimum instrumented the stock way in a bare FastAPI app "
        f"(bench/stock_app.py): {stock_us:.0f} us CPU/request, "
        f"{stock_us / floor.per_request_us:.2f}x the floor; the lab's telemetry is "
        f"{telemetry_us / stock_us:.2f}x the stock app's",
        flush=True,
    )
    if "part" in cpu:
        # What the part adds to the telemetry (on minus off, with the part and without it),
        # and all it costs the "on" arm, telemetry or not (a log line's stdout JSON is paid
        # with OTEL_SDK_DISABLED too).
        without_us = cpu["part"] - cpu["part-off"]
        adds_us = telemetry_us - without_us
        part_us = cpu["on"] - cpu["part"]
        print(
            f"part         : {_format_env(part_env)}: the telemetry is {without_us:.0f} us "
            f"CPU/request without the part, so the part adds {adds_us:.0f} us to it "
            f"({adds_us / telemetry_us:.1%} of the telemetry's); all it costs the on arm, "
            f"telemetry or not: {part_us:.0f} us ({part_us / telemetry_us:.1%} of the "
            f"telemetry's; throughput on/part {rps['on'] / rps['part']:.3f})",
            flush=True,
        )
    errors = sum(m.errors for ms in results.values() for m in ms)
    if errors:
        print(f"WARNING: {errors} non-200 answers during the benchmark", flush=True)
    return ratio


def _format_env(env: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in env.items())


if __name__ == "__main__":
    main()
