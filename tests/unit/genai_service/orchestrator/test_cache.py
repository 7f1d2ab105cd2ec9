"""The response cache: keyed on the normalised request, bounded, expiring."""

from __future__ import annotations

import pytest

from genai_service.orchestrator.cache import TTLCache, cache_key
from genai_service.providers.base import ChatRequest, Message
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit


def req(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(model="m", messages=(Message("user", text),), **kw)  # type: ignore[arg-type]


def test_key_ignores_whitespace_but_not_content_or_settings() -> None:
    assert cache_key(req("What  is\nthis? ")) == cache_key(req("What is this?"))
    assert cache_key(req("What is this?")) != cache_key(req("What is that?"))
    assert cache_key(req("x", max_tokens=5)) != cache_key(req("x", max_tokens=6))
    assert cache_key(req("x", temperature=0.1)) != cache_key(req("x"))
    other_model = ChatRequest(model="n", messages=(Message("user", "x"),))
    assert cache_key(other_model) != cache_key(req("x"))
    as_system = ChatRequest(model="m", messages=(Message("system", "x"),))
    assert cache_key(as_system) != cache_key(req("x"))


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache: TTLCache[str] = TTLCache(10, ttl_s=30, clock=clock)
    cache.put("k", "v")
    clock.now += 29.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert len(cache) == 0


def test_size_is_bounded_least_recently_used_first() -> None:
    cache: TTLCache[int] = TTLCache(3, ttl_s=60)
    for i in range(3):
        cache.put(str(i), i)
    assert cache.get("0") == 0  # now most recently used
    cache.put("3", 3)
    assert len(cache) == 3
    assert cache.get("1") is None
    assert [cache.get(k) for k in ("0", "2", "3")] == [0, 2, 3]


def test_zero_size_or_ttl_stores_nothing() -> None:
    for cache in (TTLCache[int](0, 60), TTLCache[int](10, 0)):
        cache.put("k", 1)
        assert cache.get("k") is None
