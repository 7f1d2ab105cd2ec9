"""Runtime failure injection: latency, errors, outages and token inflation on the provider.

The fault set lives in memory (one per process) and is changed through /admin/faults. It wraps
the real provider (simulated or Bedrock) *inside* the telemetry seam, so an injected failure is
seen, counted and traced exactly like a real provider failure.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import asdict, dataclass, replace
from functools import partial

from genai_service.errors import INJECTABLE_ERRORS, ErrorType, InjectableError, ProviderError
from genai_service.providers.base import (
    AnyRequest,
    EmbeddingRequest,
    Provider,
    ProviderWrapper,
    Usage,
    UsageHook,
)


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_type: InjectableError = "internal"
    outage: bool = False
    token_inflation: float = 1.0

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be within 0..1")
        if self.error_type not in INJECTABLE_ERRORS:
            raise ValueError(f"error_type must be one of {list(INJECTABLE_ERRORS)}")
        if self.token_inflation < 1.0:
            raise ValueError("token_inflation must be >= 1")

    def as_dict(self) -> dict[str, float | str | bool]:
        return asdict(self)

    @property
    def active(self) -> bool:
        return self != Faults()


def injected_error(faults: Faults, draw: float) -> ProviderError | None:
    """The error a call meets under `faults`, given a uniform draw in [0, 1)."""
    if faults.outage:
        # A provider outage is the provider being down: every call is a 503.
        return ErrorType.UNAVAILABLE.error("The model provider is down (injected outage).")
    if faults.error_rate > 0 and draw < faults.error_rate:
        kind = ErrorType(faults.error_type)
        return kind.error(f"{kind.message} (injected fault)")
    return None


def inflate(usage: Usage, factor: float) -> Usage:
    if factor <= 1.0:
        return usage
    return replace(usage, output_tokens=math.ceil(usage.output_tokens * factor))


class FaultState:
    """The current fault set and the environment defaults that DELETE restores."""

    def __init__(self, defaults: Faults) -> None:
        self.defaults = defaults
        self.current = defaults

    def replace(self, faults: Faults) -> Faults:
        self.current = faults
        return faults

    def reset(self) -> Faults:
        self.current = self.defaults
        return self.current


class FaultInjectingProvider(ProviderWrapper):
    """Wraps any provider; with no active fault it adds one attribute read per call."""

    def __init__(
        self,
        inner: Provider,
        state: FaultState,
        *,
        timeout_wait_s: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(inner)
        self.state = state
        self.timeout_wait_s = timeout_wait_s
        self._rng = rng or random.Random()

    async def _before_call(self, faults: Faults) -> None:
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000.0)
        error = injected_error(faults, self._rng.random())
        if error is not None:
            if error.error_type == "timeout" and self.timeout_wait_s > 0:
                # A timeout takes time: the caller waits before it gets the 504.
                await asyncio.sleep(self.timeout_wait_s)
            raise error

    async def begin(self, request: AnyRequest) -> UsageHook | None:
        faults = self.state.current
        if faults.active:
            await self._before_call(faults)
        factor = faults.token_inflation
        if factor <= 1.0 or isinstance(request, EmbeddingRequest):
            return None
        return partial(inflate, factor=factor)
