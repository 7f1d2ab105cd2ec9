"""Denial of service at the HTTP layer, against the service as the image starts it
(genai_service.serve under uvicorn): oversized and too many headers, and one huge prompt
must not stall everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from genai_service.serve import MAX_HEADER_BYTES, MAX_HEADER_COUNT
from tools.processes import INSTANT_MODEL, RunningProcess, run_service

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def service() -> Iterator[RunningProcess]:
    env = {
        "LOG_GENERATOR_ENABLED": "false",
        "SIMULATED_USERS_ENABLED": "false",
        **INSTANT_MODEL,
    }
    with run_service(env) as proc:
        yield proc


def raw_exchange(port: int, head: bytes, filler: bytes = b"", total_filler: int = 0) -> bytes:
    """Send a request head (and optionally a huge header value, in pieces) on a raw socket;
    return whatever the server answers before it closes. Stops sending once it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        sent = 0
        try:
            while sent < total_filler:
                s.sendall(filler)
                sent += len(filler)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused and closed: what we wanted
        if total_filler:
            with contextlib.suppress(OSError):
                s.sendall(b"\r\n\r\n")
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_oversized_headers_are_refused_before_they_are_held(service: RunningProcess) -> None:
    """Ten clients at once each sending a 20 MB header: every one is refused with a 400 and the
    service's memory stays flat (the parser stops buffering at MAX_HEADER_BYTES)."""
    before = rss_kib(service.popen.pid)
    peak = before
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = [
            pool.submit(raw_exchange, service.port, head, b"a" * 65536, 20 * 1024 * 1024)
            for _ in range(10)
        ]
        while not all(a.done() for a in answers):
            peak = max(peak, rss_kib(service.popen.pid))
            time.sleep(0.01)
    for a in answers:
        assert a.result().startswith(b"HTTP/1.1 400"), a.result()[:200]
    print(f"RSS {before} KiB, peak {peak} KiB during ten 20 MB headers")
    assert peak - before < 32 * 1024, f"RSS grew {before} -> {peak} KiB"
    # Within the limit, a header still works.
    ok = httpx.get(service.base_url + "/healthz", headers={"X-Fine": "a" * (MAX_HEADER_BYTES // 2)})
    assert ok.status_code == 200


def test_too_many_headers_get_a_431_in_the_api_error_shape(service: RunningProcess) -> None:
    headers = "".join(f"X-H{i}: v\r\n" for i in range(MAX_HEADER_COUNT + 1))
    head = f"GET /healthz HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode()
    answer = raw_exchange(service.port, head)
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 431"), answer[:300]
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert set(body["error"]) == {"message", "type", "param", "code"}
    fine = "".join(f"X-H{i}: v\r\n" for i in range(MAX_HEADER_COUNT - 10))
    head = f"GET /healthz HTTP/1.1\r\nHost: x\r\n{fine}Connection: close\r\n\r\n".encode()
    assert raw_exchange(service.port, head).startswith(b"HTTP/1.1 200")


def huge_chat(target_bytes: int = 1_000_000) -> dict[str, object]:
    """About 1 MB of varied prose in many messages, with digits and addresses the redaction and
    the injection scorer have to look at."""
    rng = random.Random(7)
    words = [
        "invoice",
        "customer",
        "shipment",
        "delayed",
        "refund",
        "account",
        "policy",
        "support",
        "ticket",
        "the",
        "a",
        "of",
        "to",
        "please",
        "review",
        "attached",
        "summary",
        "ignore",
        "nothing",
        "system",
        "order",
        "4111",
        "2024-11-05",
        "ann@example.com",
        "+44",
        "20",
        "7946",
        "0958",
        "AKIA",
        "data",
        "base64",
        "aGVsbG8gd29ybGQ=",
        "decode",
    ]
    messages = []
    size = 0
    while size < target_bytes:
        text = " ".join(rng.choice(words) for _ in range(1400))
        messages.append({"role": "user", "content": text})
        size += len(text) + 32
    return {"model": "claude-haiku-4-5", "messages": messages, "max_tokens": 16}


def test_healthz_stays_fast_while_a_1mb_prompt_is_processed(service: RunningProcess) -> None:
    body = json.dumps(huge_chat()).encode()
    assert 900_000 < len(body) <= 1_048_576

    async def poll(latencies: list[float], done: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as p:
            while not done.is_set():
                t = time.perf_counter()
                assert (await p.get("/healthz")).status_code == 200
                latencies.append(time.perf_counter() - t)
                await asyncio.sleep(0.01)

    async def run() -> tuple[int, float, list[float], list[float]]:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as c:
            # Warm up: the first chat request imports what it needs; that is not the point here.
            small = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}]}
            assert (await c.post("/v1/chat/completions", json=small)).status_code == 200
            # /healthz on this machine, now, with nothing else running in the service.
            idle: list[float] = []
            stop = asyncio.Event()
            poller = asyncio.create_task(poll(idle, stop))
            await asyncio.sleep(1.0)
            stop.set()
            await poller
            busy: list[float] = []
            done = asyncio.Event()
            poller = asyncio.create_task(poll(busy, done))
            t = time.perf_counter()
            r = await c.post(
                "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
            )
            big = time.perf_counter() - t
            done.set()
            await poller
            return r.status_code, big, idle, busy

    status, big_s, idle, busy = asyncio.run(run())
    assert status in (200, 400), status
    assert len(busy) >= 3
    baseline = statistics.median(idle)
    worst = max(busy)
    print(sorted(round(x * 1000) for x in busy)[-8:], sorted(round(x * 1000) for x in idle)[-5:])
    print(
        f"1 MB chat took {big_s:.2f}s; /healthz idle median {baseline * 1000:.0f} ms, "
        f"worst while it ran {worst * 1000:.0f} ms of {len(busy)}"
    )
    # The stall the big request adds to a healthy answer (measured in the same run, so a busy
    # machine does not count against it); a correctness bound with margin, not a benchmark.
    assert worst - baseline < 0.1, f"/healthz stalled {worst * 1000:.0f} ms during a 1 MB prompt"
