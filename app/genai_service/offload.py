"""CPU-bound work over many texts without stalling the event loop.

Redaction, PII counting and token counting are regex scans: microseconds for a normal prompt,
up to a second or more for a 1 MB one. A worker thread does not help: a regex scan holds the
GIL for the whole call. So large inputs are processed one text at a time, handing the event
loop back between texts; a request of many texts never blocks other requests for longer than
its largest text takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Characters processed before the event loop gets a turn.
SLICE_CHARS = 8_192


async def map_yielding(
    fn: Callable[[T], R], items: Iterable[T], size: Callable[[T], int]
) -> list[R]:
    """[fn(item) for item in items], yielding to the event loop every SLICE_CHARS of input."""
    out: list[R] = []
    done = 0
    for item in items:
        out.append(fn(item))
        done += size(item)
        if done >= SLICE_CHARS:
            done = 0
            await asyncio.sleep(0)
    return out
