"""Background activity: a realistic log mix inside spans, the users gauge, the off switches."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from genai_service.background import BackgroundActivity, SimulatedUsers, emit_one
from genai_service.settings import Settings

pytestmark = pytest.mark.unit


def test_mix_of_levels_follows_the_ratios(pipeline) -> None:
    settings = Settings(log_generator_warning_ratio=0.2, log_generator_error_ratio=0.1)
    rng = random.Random(7)
    levels = Counter(emit_one(rng, settings) for _ in range(2000))
    assert 0.07 < levels["error"] / 2000 < 0.13
    assert 0.16 < levels["warning"] / 2000 < 0.24
    assert levels["info"] > levels["warning"] > levels["error"]


def test_generated_logs_carry_their_span_trace_id(pipeline) -> None:
    rng = random.Random(1)
    for _ in range(20):
        emit_one(rng, Settings(log_generator_error_ratio=0.5))
    spans = {s.context.span_id: s for s in pipeline.spans() if s.name.startswith("background ")}
    records = [r.log_record for r in pipeline.logs() if r.log_record.span_id in spans]
    assert len(records) == 20
    for record in records:
        span = spans[record.span_id]
        assert record.trace_id == span.context.trace_id
        assert record.attributes["job"] == span.attributes["genai_lab.background.job"]
        if record.severity_text == "ERROR":
            assert span.attributes["error.type"] == record.attributes["error.type"]


def test_simulated_users_walk_stays_in_bounds() -> None:
    walk = SimulatedUsers(random.Random(3), maximum=10)
    values = [walk.step() for _ in range(500)]
    assert min(values) >= 0 and max(values) <= 10
    assert len(set(values)) > 3


async def test_tasks_start_emit_and_stop(pipeline) -> None:
    activity = BackgroundActivity(
        Settings(
            log_generator_rate_per_s=200, simulated_users_interval_s=0.01, simulated_users_max=30
        ),
        seed=5,
    )
    activity.start()
    assert activity.running == 2
    await asyncio.sleep(0.2)
    await activity.stop()
    assert activity.running == 0
    assert any(s.name.startswith("background ") for s in pipeline.spans())
    users = pipeline.points("genai_lab.simulated_users.active")
    assert users and 0 <= users[0].value <= 30


async def test_disabled_activity_starts_nothing() -> None:
    activity = BackgroundActivity(
        Settings(log_generator_enabled=False, simulated_users_enabled=False)
    )
    activity.start()
    assert activity.running == 0
    await activity.stop()
