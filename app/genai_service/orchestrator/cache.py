"""A bounded, TTL'd response cache keyed on the normalised request.

In memory and per process: enough to make hits and misses real in the lab. A shared cache
(ElastiCache/Redis) would slot in behind the same get/put.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from genai_service.providers.base import ChatRequest

V = TypeVar("V")


def normalise(text: str) -> str:
    """Whitespace differences do not change the answer, so they must not miss the cache."""
    return " ".join(text.split())


def cache_key(request: ChatRequest, tenant: str = "") -> str:
    """The key of a request's answer within one tenant: an answer is never served to another
    tenant (a hit would tell it what the first one asked)."""
    payload = [
        tenant,
        request.model,
        [[m.role, normalise(m.content)] for m in request.messages],
        request.max_tokens,
        request.temperature,
        request.seed,
    ]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: any JSON string may hold a lone surrogate ("\ud800"); it still keys.
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class _Entry(Generic[V]):
    value: V
    expires_at: float


class TTLCache(Generic[V]):
    def __init__(
        self,
        max_entries: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._clock = clock
        self._data: OrderedDict[str, _Entry[V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return entry.value

    def put(self, key: str, value: V) -> None:
        if self.max_entries <= 0 or self.ttl_s <= 0:
            return
        self._data[key] = _Entry(value, self._clock() + self.ttl_s)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()
