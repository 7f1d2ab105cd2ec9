"""Per-tenant rate limits (token buckets) and daily cost budgets.

Pure: time comes from injected clocks (a monotonic one for the buckets, a UTC wall clock for the
budget day), so tests cross limits and midnights without sleeping.

Tokens are charged twice: an estimate of the prompt at admission (so one huge prompt is refused
before it costs anything) and the true usage when the call ends, which may leave the bucket in
debt; the next request then waits for the debt to refill. Cost is only known at the end, so the
budget refuses the first request *after* the spend reached it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from genai_service.guardrails.settings import TierLimits

Clock = Callable[[], float]
WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class LimitReason(StrEnum):
    REQUESTS = "requests"
    TOKENS = "tokens"
    BUDGET = "budget"


class TokenBucket:
    """Holds up to `capacity` tokens, refilled continuously at `rate_per_s`; may go negative."""

    def __init__(self, capacity: float, rate_per_s: float, now: float) -> None:
        if capacity <= 0 or rate_per_s <= 0:
            raise ValueError("capacity and rate must be positive")
        self.capacity = capacity
        self.rate = rate_per_s
        self.level = capacity
        self._updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self.level = min(self.capacity, self.level + elapsed * self.rate)
        self._updated = now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until `amount` can be taken (0 when it can be now)."""
        self.refill(now)
        if self.level >= amount:
            return 0.0
        return (amount - self.level) / self.rate

    def take(self, amount: float, now: float) -> None:
        """Take (or, with a negative amount, give back) tokens unconditionally."""
        self.refill(now)
        self.level = min(self.capacity, self.level - amount)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: LimitReason | None = None
    retry_after_s: int = 0
    message: str = ""
    # False when waiting cannot help (the request alone is over the limit, or the budget is
    # spent for the day): clients should not retry automatically.
    retryable: bool = True


ALLOWED = Decision(allowed=True)


def refused(
    reason: LimitReason, retry_after_s: int, message: str, *, retryable: bool = True
) -> Decision:
    return Decision(False, reason, retry_after_s, message, retryable)


def retry_after(seconds: float) -> int:
    """Whole seconds for a Retry-After header: rounded up, never 0 for a refusal."""
    return max(1, math.ceil(seconds - 1e-9))


def seconds_to_utc_midnight(now: datetime) -> float:
    now = now.astimezone(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


@dataclass
class _TenantState:
    tier: str
    requests: TokenBucket
    tokens: TokenBucket
    day: str
    spent_usd: float = 0.0


class TenantLimiter:
    """Admission control and accounting per tenant, with limits by tier."""

    def __init__(
        self,
        limits: Mapping[str, TierLimits],
        *,
        clock: Clock = time.monotonic,
        wall_clock: WallClock = utc_now,
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._wall = wall_clock
        self._tenants: dict[str, _TenantState] = {}
        # Admission is check-then-take; the lock keeps it atomic if a route runs in a thread.
        self._lock = threading.Lock()

    def _today(self) -> str:
        return self._wall().astimezone(UTC).date().isoformat()

    def _state(self, tenant: str, tier: str) -> _TenantState:
        state = self._tenants.get(tenant)
        limits = self._limits[tier]
        now = self._clock()
        if state is None or state.tier != tier:
            state = _TenantState(
                tier=tier,
                requests=TokenBucket(
                    limits.requests_per_minute, limits.requests_per_minute / 60, now
                ),
                tokens=TokenBucket(limits.tokens_per_minute, limits.tokens_per_minute / 60, now),
                day=self._today(),
                spent_usd=state.spent_usd if state else 0.0,
            )
            self._tenants[tenant] = state
        today = self._today()
        if state.day != today:
            state.day = today
            state.spent_usd = 0.0
        return state

    def admit(self, tenant: str, tier: str, estimated_tokens: int) -> Decision:
        """Refuse, or admit and charge one request and the estimated prompt tokens."""
        limits = self._limits[tier]
        with self._lock:
            state = self._state(tenant, tier)
            now = self._clock()
            if limits.daily_budget_usd <= 0 or state.spent_usd >= limits.daily_budget_usd:
                wait = seconds_to_utc_midnight(self._wall())
                return refused(
                    LimitReason.BUDGET,
                    retry_after(wait),
                    (
                        f"Daily budget exhausted for tenant '{tenant}' ({tier} tier): "
                        f"${state.spent_usd:.2f} of ${limits.daily_budget_usd:.2f} spent today "
                        f"(UTC). It resets at 00:00 UTC, in {retry_after(wait)} s."
                    ),
                    retryable=False,
                )
            wait = state.requests.wait_for(1, now)
            if wait > 0:
                return refused(
                    LimitReason.REQUESTS,
                    retry_after(wait),
                    (
                        f"Rate limit reached for tenant '{tenant}' ({tier} tier) on requests per "
                        f"minute: limit {limits.requests_per_minute}. "
                        f"Retry after {retry_after(wait)} s."
                    ),
                )
            if estimated_tokens > limits.tokens_per_minute:
                return refused(
                    LimitReason.TOKENS,
                    60,
                    (
                        f"Request too large for tenant '{tenant}' ({tier} tier): about "
                        f"{estimated_tokens} tokens, over the limit of "
                        f"{limits.tokens_per_minute} tokens per minute. Send a shorter prompt."
                    ),
                    retryable=False,
                )
            wait = state.tokens.wait_for(max(1, estimated_tokens), now)
            if wait > 0:
                return refused(
                    LimitReason.TOKENS,
                    retry_after(wait),
                    (
                        f"Rate limit reached for tenant '{tenant}' ({tier} tier) on tokens per "
                        f"minute: limit {limits.tokens_per_minute}, requested about "
                        f"{estimated_tokens}. Retry after {retry_after(wait)} s."
                    ),
                )
            state.requests.take(1, now)
            state.tokens.take(estimated_tokens, now)
            return ALLOWED

    def settle(
        self, tenant: str, tier: str, *, estimated_tokens: int, actual_tokens: int, cost_usd: float
    ) -> None:
        """Replace the admission estimate by the true usage and add the call's cost."""
        with self._lock:
            state = self._state(tenant, tier)
            state.tokens.take(actual_tokens - estimated_tokens, self._clock())
            state.spent_usd += max(0.0, cost_usd)

    def remaining_budget_usd(self, tenant: str, tier: str) -> float:
        with self._lock:
            state = self._state(tenant, tier)
            return max(0.0, self._limits[tier].daily_budget_usd - state.spent_usd)

    def spent_usd(self, tenant: str, tier: str) -> float:
        with self._lock:
            return self._state(tenant, tier).spent_usd


def estimate_tokens(texts: list[str]) -> int:
    """A cheap prompt-size estimate (about four characters a token, plus per-message framing)."""
    return sum(math.ceil(len(t) / 4) + 4 for t in texts)
