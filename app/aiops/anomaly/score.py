"""The robust z-score of the latest value against a history, normalised to 0..1.

median and MAD (median absolute deviation) instead of mean and standard deviation: a spike
already in the history (yesterday's incident, a restart) barely moves them, so it neither hides
the next anomaly nor makes normal values look odd. The z-score is Iglewicz and Hoaglin's
"modified z-score", (x - median) / (1.4826 * MAD), which is on the scale of a standard z for
normal data; they suggest |z| > 3.5 as the outlier cut-off. Normalised so that z = 3.5 scores
exactly ALERT_SCORE (0.8, AnomalyScoreHigh's threshold): score = tanh(atanh(0.8) * z / 3.5).

Only rises count (higher latency, errors, cost, tokens): a drop scores 0. A flat history has a
MAD of 0; the scale then falls back to a floor (a share of the median, and a per-signal
absolute minimum) so that a tiny wobble on a flat line is not "infinitely" anomalous.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MAD_TO_SIGMA = 1.4826  # 1 / Phi^-1(3/4): MAD * this estimates sigma for normal data
OUTLIER_Z = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score
ALERT_SCORE = 0.8  # the score at OUTLIER_Z; AnomalyScoreHigh fires above it
RELATIVE_FLOOR = 0.05  # the scale is at least 5% of the median
MIN_HISTORY = 20  # fewer points than this: no score (not enough to know normal)


@dataclass(frozen=True)
class Score:
    current: float
    median: float
    mad: float
    scale: float  # what the deviation was divided by
    z: float  # signed modified z-score
    score: float  # 0..1, rises only


def normalise(z: float) -> float:
    """0 for z <= 0, ALERT_SCORE at OUTLIER_Z, towards 1 beyond."""
    if z <= 0 or math.isnan(z):
        return 0.0
    return math.tanh(math.atanh(ALERT_SCORE) * z / OUTLIER_Z)


def robust_score(
    history: Sequence[float], current: float, *, min_scale: float = 0.0
) -> Score | None:
    """Score `current` against `history`; None without enough finite history or a finite value."""
    clean = [v for v in history if math.isfinite(v)]
    if len(clean) < MIN_HISTORY or not math.isfinite(current):
        return None
    median = statistics.median(clean)
    mad = statistics.median(abs(v - median) for v in clean)
    scale = max(MAD_TO_SIGMA * mad, RELATIVE_FLOOR * abs(median), min_scale)
    if scale <= 0:
        # A history of exact zeros and no floor: any rise is infinitely far.
        rise = current > median
        z = math.inf if rise else 0.0
        return Score(current, median, mad, scale, z, 1.0 if rise else 0.0)
    z = (current - median) / scale
    return Score(current, median, mad, scale, z, normalise(z))
