"""The robust z-score: median and MAD, normalised 0..1, and 0.8 at the outlier cut-off."""

from __future__ import annotations

import math

import pytest

from aiops.anomaly.score import ALERT_SCORE, MIN_HISTORY, OUTLIER_Z, normalise, robust_score

pytestmark = pytest.mark.unit


def test_the_score_is_0_8_at_the_outlier_cut_off_and_rises_only() -> None:
    assert normalise(OUTLIER_Z) == pytest.approx(ALERT_SCORE)
    assert normalise(0) == 0 and normalise(-10) == 0 and normalise(math.nan) == 0
    values = [normalise(z / 2) for z in range(0, 40)]
    assert values == sorted(values) and values[-1] < 1


def noisy(n: int = 60, level: float = 1.0, wobble: float = 0.05) -> list[float]:
    # Deterministic wobble around a level (a triangle wave), like a steady rate.
    return [level + wobble * ((i % 7) - 3) / 3 for i in range(n)]


def test_normal_values_score_low_and_a_jump_scores_high() -> None:
    history = noisy()
    assert robust_score(history, 1.03).score < 0.3
    high = robust_score(history, 2.0)
    assert high.median == pytest.approx(1.0) and high.score > 0.99


def test_a_spike_in_the_history_does_not_hide_the_next_one() -> None:
    # 15% of the history is an earlier incident at 5x; mean and std would absorb it.
    history = noisy(85) + [5.0] * 15
    s = robust_score(history, 2.0)
    assert s.median == pytest.approx(1.0, abs=0.05)
    assert s.score > ALERT_SCORE
    mean = sum(history) / len(history)
    std = math.sqrt(sum((v - mean) ** 2 for v in history) / len(history))
    assert (2.0 - mean) / std < OUTLIER_Z  # what a mean/std z-score would have said


def test_a_flat_history_uses_the_floor_not_a_zero_mad() -> None:
    flat = [0.0] * 40
    assert robust_score(flat, 0.001, min_scale=0.002).score < 0.5
    assert robust_score(flat, 0.05, min_scale=0.002).score > ALERT_SCORE
    assert robust_score(flat, 0.0).score == 0.0
    assert robust_score(flat, 0.5).score == 1.0  # no floor at all: any rise is extreme


def test_no_score_without_enough_history_or_a_current_value() -> None:
    assert robust_score(noisy(MIN_HISTORY - 1), 5.0) is None
    assert robust_score(noisy(), math.nan) is None
    assert robust_score([math.nan] * 100, 1.0) is None


def test_drops_score_zero() -> None:
    assert robust_score(noisy(), 0.1).score == 0.0
