"""Per-tenant rate limits (token buckets) and daily cost budgets.

Pure: time comes from injected clocks (a monotonic one for the buckets, a UTC wall clock for the
budget day), so tests cross limits and midnights without sleeping.

Tokens are charged twice: an estimate of the prompt at admission (so one huge prompt is refused
before it costs anything) and the true usage when the call ends, which may leave the bucket in
debt; the next request then waits for the debt to refill.

Money works the same way: admission *reserves* the call's estimated cost against the daily
budget and refuses when spend plus open reservations plus this estimate would pass it; the call
then settles (its real cost replaces the reservation) or, if it never reached the model, is
released. Concurrent requests therefore see each other's reservations, and the budget can only
be overshot by the calls' estimate errors, not by how many run at once.

State is per tenant. A tier is a property of the tenant: when a tenant's tier changes, its
buckets keep their level (capped at the new capacity) and only their size and refill rate change.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
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


@dataclass
class Reservation:
    """What one admitted request holds until it settles or is released (at most once)."""

    tenant: str
    tier: str
    estimated_tokens: int
    estimated_cost_usd: float
    day: str
    open: bool = True


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: LimitReason | None = None
    retry_after_s: int = 0
    message: str = ""
    # False when waiting cannot help (the request alone is over the limit, or the budget is
    # spent for the day): clients should not retry automatically.
    retryable: bool = True
    reservation: Reservation | None = None


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
    reserved_usd: float = 0.0


def _resize(bucket: TokenBucket, capacity: float, now: float) -> None:
    """A new size and rate for a bucket that keeps its level: a tier change never refills."""
    bucket.refill(now)
    bucket.capacity = capacity
    bucket.rate = capacity / 60
    bucket.level = min(bucket.level, capacity)


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
        if state is None:
            state = _TenantState(
                tier=tier,
                requests=TokenBucket(
                    limits.requests_per_minute, limits.requests_per_minute / 60, now
                ),
                tokens=TokenBucket(limits.tokens_per_minute, limits.tokens_per_minute / 60, now),
                day=self._today(),
            )
            self._tenants[tenant] = state
        elif state.tier != tier:
            state.tier = tier
            _resize(state.requests, limits.requests_per_minute, now)
            _resize(state.tokens, limits.tokens_per_minute, now)
        today = self._today()
        if state.day != today:
            state.day = today
            state.spent_usd = 0.0
            state.reserved_usd = 0.0
        return state

    def admit(
        self, tenant: str, tier: str, estimated_tokens: int, estimated_cost_usd: float = 0.0
    ) -> Decision:
        """Refuse, or admit: charge one request and the estimated prompt tokens, and reserve
        the estimated cost (the decision's reservation, to settle or release)."""
        limits = self._limits[tier]
        estimated_cost_usd = max(0.0, estimated_cost_usd)
        with self._lock:
            state = self._state(tenant, tier)
            now = self._clock()
            committed = state.spent_usd + state.reserved_usd
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
            if committed + estimated_cost_usd > limits.daily_budget_usd:
                if state.reserved_usd > 0:
                    # Calls in flight hold the rest of the budget; once they settle, what is
                    # left may admit this one.
                    return Decision(
                        allowed=False,
                        reason=LimitReason.BUDGET,
                        retry_after_s=1,
                        message=(
                            f"Daily budget held by calls in flight for tenant '{tenant}' "
                            f"({tier} tier): ${state.spent_usd:.4f} spent and "
                            f"${state.reserved_usd:.4f} reserved of "
                            f"${limits.daily_budget_usd:.2f}; this call is estimated at "
                            f"${estimated_cost_usd:.4f}. Retry after 1 s."
                        ),
                    )
                wait = seconds_to_utc_midnight(self._wall())
                return Decision(
                    allowed=False,
                    reason=LimitReason.BUDGET,
                    retry_after_s=retry_after(wait),
                    message=(
                        f"Daily budget exhausted for tenant '{tenant}' ({tier} tier): "
                        f"${state.spent_usd:.4f} of ${limits.daily_budget_usd:.2f} spent today "
                        f"(UTC), and this call is estimated at ${estimated_cost_usd:.4f}. "
                        f"It resets at 00:00 UTC, in {retry_after(wait)} s."
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
            state.reserved_usd += estimated_cost_usd
            return Decision(
                allowed=True,
                reservation=Reservation(
                    tenant, tier, estimated_tokens, estimated_cost_usd, state.day
                ),
            )

    def _close(self, reservation: Reservation) -> _TenantState | None:
        if not reservation.open:
            return None
        reservation.open = False
        state = self._state(reservation.tenant, reservation.tier)
        if state.day == reservation.day:
            state.reserved_usd = max(0.0, state.reserved_usd - reservation.estimated_cost_usd)
        return state

    def settle(self, reservation: Reservation, *, actual_tokens: int, cost_usd: float) -> None:
        """Replace the admission estimates by the true usage and cost (once per reservation)."""
        with self._lock:
            state = self._close(reservation)
            if state is None:
                return
            state.tokens.take(actual_tokens - reservation.estimated_tokens, self._clock())
            state.spent_usd += max(0.0, cost_usd)

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose call never reached the model (no-op once settled)."""
        with self._lock:
            self._close(reservation)

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


class OutputEstimator:
    """Expected output tokens of a model's next call, for the cost reservation.

    The request's own max_tokens when it sets one (the model cannot exceed it); otherwise the
    largest of a floor (`default_tokens`) and the model's recent outputs. Meant as an upper
    bound: an under-estimate in every call in flight is what would let concurrent calls pass
    the budget together, while reserving the service's maximum output would refuse calls the
    budget can afford.
    """

    def __init__(self, default_tokens: int = 256, window: int = 64, max_models: int = 256) -> None:
        self._default = default_tokens
        self._window = window
        self._max_models = max_models
        self._recent: dict[str, deque[int]] = {}
        self._lock = threading.Lock()

    def expected(self, model: str, max_tokens: int | None) -> int:
        with self._lock:
            recent = self._recent.get(model)
            guess = max(self._default, *recent) if recent else self._default
        return max_tokens if max_tokens else guess

    def observe(self, model: str, output_tokens: int) -> None:
        with self._lock:
            recent = self._recent.get(model)
            if recent is None:
                if len(self._recent) >= self._max_models:
                    return
                recent = self._recent[model] = deque(maxlen=self._window)
            recent.append(max(0, output_tokens))
