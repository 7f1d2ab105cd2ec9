"""Token buckets and daily budgets, driven by fake clocks: limits crossed, refilled and reset."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from genai_service.guardrails.ratelimit import (
    LimitReason,
    OutputEstimator,
    TenantLimiter,
    TokenBucket,
    estimate_tokens,
    retry_after,
    seconds_to_utc_midnight,
)
from genai_service.guardrails.settings import TierLimits
from tests.unit.genai_service.guardrails.clocks import Clocks

pytestmark = pytest.mark.unit


def limiter(clocks: Clocks, rpm: int = 3, tpm: int = 600, budget: float = 1.0) -> TenantLimiter:
    limits = {"free": TierLimits(rpm, tpm, budget), "pro": TierLimits(rpm * 10, tpm * 10, 10)}
    return TenantLimiter(limits, clock=lambda: clocks.mono, wall_clock=lambda: clocks.wall)


def test_bucket_refills_continuously_up_to_capacity() -> None:
    b = TokenBucket(capacity=10, rate_per_s=2, now=0)
    b.take(10, now=0)
    assert b.wait_for(1, now=0) == pytest.approx(0.5)
    assert b.wait_for(4, now=1) == pytest.approx(1.0)
    b.refill(now=100)
    assert b.level == 10
    b.take(15, now=100)  # debt
    assert b.wait_for(1, now=100) == pytest.approx(3.0)


def test_requests_per_minute_crossed_then_refilled() -> None:
    c = Clocks()
    lim = limiter(c, rpm=3)
    for _ in range(3):
        assert lim.admit("t", "free", 10).allowed
    refused = lim.admit("t", "free", 10)
    assert not refused.allowed
    assert refused.reason is LimitReason.REQUESTS
    # 3 per minute refill one request every 20 s.
    assert refused.retry_after_s == 20
    assert "requests per minute" in refused.message and "limit 3" in refused.message
    c.advance(19.5)
    assert lim.admit("t", "free", 10).retry_after_s == 1  # 0.5 s rounds up, never 0
    c.advance(0.5)
    assert lim.admit("t", "free", 10).allowed


def test_tenants_are_limited_independently() -> None:
    c = Clocks()
    lim = limiter(c, rpm=1)
    assert lim.admit("a", "free", 1).allowed
    assert not lim.admit("a", "free", 1).allowed
    assert lim.admit("b", "free", 1).allowed


def test_tokens_per_minute_with_settlement_debt() -> None:
    c = Clocks()
    lim = limiter(c, rpm=100, tpm=600)  # 10 tokens/s
    admitted = lim.admit("t", "free", 100)
    assert admitted.allowed and admitted.reservation
    # 600 - 100 at admission, then the answer was long: 700 tokens in all, 100 in debt.
    lim.settle(admitted.reservation, actual_tokens=700, cost_usd=0)
    refused = lim.admit("t", "free", 50)
    assert refused.reason is LimitReason.TOKENS
    assert refused.retry_after_s == 15  # (100 + 50) / 10 tokens a second
    assert refused.retryable
    c.advance(14)
    assert not lim.admit("t", "free", 50).allowed
    c.advance(1)
    assert lim.admit("t", "free", 50).allowed


def test_request_larger_than_the_token_limit_is_not_retryable() -> None:
    lim = limiter(Clocks(), tpm=600)
    refused = lim.admit("t", "free", 601)
    assert refused.reason is LimitReason.TOKENS and not refused.retryable
    assert "Request too large" in refused.message


def test_refused_request_costs_nothing() -> None:
    c = Clocks()
    lim = limiter(c, rpm=1, tpm=600)
    assert not lim.admit("t", "free", 601).allowed
    assert lim.admit("t", "free", 10).allowed


def test_daily_budget_crossed_and_reset_at_utc_midnight() -> None:
    c = Clocks()  # 23:59:00 UTC
    lim = limiter(c, rpm=1000, budget=1.0)
    lim.settle(lim.admit("t", "free", 10).reservation, actual_tokens=10, cost_usd=0.6)
    assert lim.remaining_budget_usd("t", "free") == pytest.approx(0.4)
    lim.settle(lim.admit("t", "free", 10).reservation, actual_tokens=10, cost_usd=0.6)
    refused = lim.admit("t", "free", 10)
    assert refused.reason is LimitReason.BUDGET
    assert refused.retry_after_s == 60
    assert not refused.retryable
    assert "$1.20 of $1.00" in refused.message
    assert lim.remaining_budget_usd("t", "free") == 0
    c.advance(60)  # 00:00:00 UTC next day
    assert lim.remaining_budget_usd("t", "free") == 1.0
    assert lim.admit("t", "free", 10).allowed


def test_budget_is_per_tier() -> None:
    c = Clocks()
    lim = limiter(c, budget=1.0)
    lim.settle(lim.admit("t", "pro", 1).reservation, actual_tokens=1, cost_usd=5.0)
    assert lim.admit("t", "pro", 1).allowed  # pro budget is 10
    assert lim.remaining_budget_usd("t", "pro") == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("seconds", "header"), [(0.0001, 1), (0.5, 1), (1.0, 1), (1.01, 2), (19.99, 20), (20.0, 20)]
)
def test_retry_after_rounds_up_to_whole_seconds(seconds: float, header: int) -> None:
    assert retry_after(seconds) == header


def test_seconds_to_utc_midnight_handles_other_timezones() -> None:
    from datetime import timezone

    plus2 = timezone(timedelta(hours=2))
    # 01:30 at UTC+2 is 23:30 UTC: half an hour to go.
    assert seconds_to_utc_midnight(datetime(2026, 1, 2, 1, 30, tzinfo=plus2)) == 1800


def test_token_estimate_grows_with_text() -> None:
    assert estimate_tokens([]) == 0
    assert estimate_tokens(["abcd"]) == 5
    assert estimate_tokens(["a" * 400, "b"]) == 104 + 5


def test_reservations_hold_the_budget_for_calls_in_flight() -> None:
    c = Clocks()
    lim = limiter(c, rpm=1000, tpm=10**6, budget=1.0)
    # Three calls estimated at $0.30 each fit; a fourth would pass $1.00 while they run.
    held = [lim.admit("t", "free", 10, 0.3) for _ in range(3)]
    assert all(d.allowed for d in held)
    refused = lim.admit("t", "free", 10, 0.3)
    assert refused.reason is LimitReason.BUDGET and refused.retryable
    assert refused.retry_after_s == 1 and "in flight" in refused.message
    # One settles cheaper than estimated, one never reaches the model: room again.
    lim.settle(held[0].reservation, actual_tokens=10, cost_usd=0.1)
    lim.release(held[1].reservation)
    lim.release(held[1].reservation)  # releasing twice is harmless
    assert lim.admit("t", "free", 10, 0.3).allowed
    lim.settle(held[2].reservation, actual_tokens=10, cost_usd=0.3)
    lim.settle(held[2].reservation, actual_tokens=10, cost_usd=0.3)  # settled once only
    assert lim.spent_usd("t", "free") == pytest.approx(0.4)


def test_a_call_estimated_over_what_is_left_is_refused_until_midnight() -> None:
    c = Clocks()
    lim = limiter(c, rpm=1000, tpm=10**6, budget=1.0)
    lim.settle(lim.admit("t", "free", 10, 0.5).reservation, actual_tokens=10, cost_usd=0.8)
    refused = lim.admit("t", "free", 10, 0.3)
    assert refused.reason is LimitReason.BUDGET and not refused.retryable
    assert refused.retry_after_s == 60  # the clocks say 23:59 UTC
    assert lim.admit("t", "free", 10, 0.1).allowed


def test_a_tier_change_never_refills_a_tenants_buckets() -> None:
    c = Clocks()
    lim = limiter(c, rpm=3, tpm=600)
    for _ in range(3):
        assert lim.admit("t", "free", 10).allowed
    assert not lim.admit("t", "free", 10).allowed
    # The same tenant seen at another tier: bigger buckets, same (empty) level.
    refused = lim.admit("t", "pro", 10)
    assert refused.reason is LimitReason.REQUESTS
    assert refused.retry_after_s == 2  # 30 a minute now refill one every 2 s
    assert not lim.admit("t", "free", 10).allowed


def test_output_estimate_is_an_upper_bound_in_practice() -> None:
    est = OutputEstimator(default_tokens=256)
    assert est.expected("m", None) == 256
    assert est.expected("m", 40) == 40  # the request's own cap
    est.observe("m", 900)
    assert est.expected("m", None) == 900
    assert est.expected("other", None) == 256
