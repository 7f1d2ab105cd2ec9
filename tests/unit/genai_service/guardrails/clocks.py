"""Fake monotonic and wall clocks that move together, for limits, refills and midnight resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clocks:
    def __init__(self, mono: float = 1000.0, wall: datetime | None = None) -> None:
        self.mono = mono
        self.wall = wall or datetime(2026, 11, 22, 23, 59, 0, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)
