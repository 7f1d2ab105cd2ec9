"""Failure injection: which error a call meets, token inflation, and the wrapper's behaviour."""

from __future__ import annotations

import asyncio
import time

import pytest

from genai_service.errors import ProviderError
from genai_service.faults import FaultInjectingProvider, Faults, FaultState, inflate, injected_error
from genai_service.providers.base import ChatRequest, Message, Usage
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider

pytestmark = pytest.mark.unit

REQ = ChatRequest(model="claude-haiku-4-5", messages=(Message("user", "hi"),))


def wrapped(faults: Faults) -> FaultInjectingProvider:
    return FaultInjectingProvider(
        SimulatedProvider(SimulatedConfig(latency_ms=0)), FaultState(faults), timeout_wait_s=0
    )


@pytest.mark.parametrize(
    ("error_type", "status"),
    [("throttled", 429), ("timeout", 504), ("unavailable", 503), ("internal", 502)],
)
def test_each_error_type_maps_to_its_http_status(error_type: str, status: int) -> None:
    error = injected_error(Faults(error_rate=0.5, error_type=error_type), draw=0.1)
    assert error is not None and error.http_status == status and error.error_type == error_type
    assert injected_error(Faults(error_rate=0.5, error_type=error_type), draw=0.9) is None


def test_throttling_carries_retry_after() -> None:
    error = injected_error(Faults(error_rate=1, error_type="throttled"), draw=0.0)
    assert error is not None and error.retry_after_s == 1.0


def test_outage_fails_every_call_with_503() -> None:
    for draw in (0.0, 0.5, 0.999):
        error = injected_error(Faults(outage=True), draw)
        assert error is not None and error.http_status == 503


def test_inflation_multiplies_output_tokens_only() -> None:
    assert inflate(Usage(10, 7), 3.0) == Usage(10, 21)
    assert inflate(Usage(10, 7), 1.5) == Usage(10, 11)  # rounded up: never cheaper


@pytest.mark.parametrize(
    "bad",
    [
        {"latency_ms": -1},
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_type": "exploded"},
        {"token_inflation": 0.5},
    ],
)
def test_invalid_fault_sets_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Faults(**bad)  # type: ignore[arg-type]


def test_wrapper_applies_outage_latency_and_inflation() -> None:
    with pytest.raises(ProviderError):
        asyncio.run(wrapped(Faults(outage=True)).chat(REQ))
    plain = asyncio.run(wrapped(Faults()).chat(REQ))
    inflated = asyncio.run(wrapped(Faults(token_inflation=4)).chat(REQ))
    assert inflated.usage.output_tokens == plain.usage.output_tokens * 4
    assert inflated.text == plain.text

    started = time.perf_counter()
    asyncio.run(wrapped(Faults(latency_ms=120)).chat(REQ))
    assert time.perf_counter() - started >= 0.115


def test_wrapper_inflates_the_usage_of_streams() -> None:
    async def last_usage(faults: Faults) -> Usage | None:
        chunks = [c async for c in wrapped(faults).chat_stream(REQ)]
        return chunks[-1].usage

    plain = asyncio.run(last_usage(Faults()))
    inflated = asyncio.run(last_usage(Faults(token_inflation=2)))
    assert plain is not None and inflated is not None
    assert inflated.output_tokens == plain.output_tokens * 2


def test_state_replace_and_reset_to_defaults() -> None:
    defaults = Faults(latency_ms=10)
    state = FaultState(defaults)
    state.replace(Faults(outage=True))
    assert state.current.outage
    assert state.reset() == defaults
