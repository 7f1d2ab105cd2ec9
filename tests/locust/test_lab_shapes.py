"""Load shape math: each shape's users over time, its spawn rates, and where the base comes from.

lab_shapes.py lives beside the locustfile (no package, so it works in the Locust image); it is
loaded by path here, without importing Locust itself.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

PATH = Path(__file__).resolve().parents[2] / "locust" / "lab_shapes.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lab_shapes", PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lab_shapes", module)
    spec.loader.exec_module(module)
    return module


shapes = _load()


def series(name: str, base: int, until_s: float, step_s: float = 1.0) -> list[int]:
    n = int(until_s / step_s)
    return [shapes.users_at(name, i * step_s, base) for i in range(n)]


def test_steady_is_flat_at_the_base() -> None:
    assert set(series("steady", 7, 3600, 10)) == {7}


def test_step_climbs_one_base_per_stage_then_starts_over() -> None:
    s = shapes.STEP_S
    assert [shapes.users_at("step", t, 5) for t in (0, s, 2 * s, 3 * s, 4 * s)] == [
        5,
        10,
        15,
        20,
        5,
    ]


def test_spike_is_short_sharp_and_periodic() -> None:
    calm, spike = shapes.SPIKE_CALM_S, shapes.SPIKE_S
    values = series("spike", 4, calm + spike)
    high = [v for v in values if v > 4]
    assert set(values) == {4, 4 * shapes.SPIKE_FACTOR}
    assert len(high) == int(spike)
    assert values[0] == 4 and values[-1] == 20
    assert shapes.users_at("spike", calm + spike, 4) == 4  # next period starts calm


def test_wave_goes_from_night_to_midday_and_back() -> None:
    period = shapes.WAVE_PERIOD_S
    night, noon = shapes.users_at("wave", 0, 10), shapes.users_at("wave", period / 2, 10)
    assert night == 2 and noon == 18
    assert shapes.users_at("wave", period, 10) == night
    rising = series("wave", 10, period / 2, 30)
    assert rising == sorted(rising)


def test_time_scale_compresses_every_shape() -> None:
    scale = 0.01
    assert shapes.users_at("step", shapes.STEP_S * scale, 3, scale) == 6
    assert shapes.users_at("spike", shapes.SPIKE_CALM_S * scale + 0.1, 3, scale) == 15
    assert shapes.users_at("wave", shapes.WAVE_PERIOD_S * scale / 2, 10, scale) == 18


def test_never_fewer_than_one_user() -> None:
    for name in shapes.SHAPES:
        assert min(series(name, 0, 1200, 7)) >= 1


def test_spawn_rates_let_a_scaled_stage_be_reached_in_time() -> None:
    # A spike reaches its level within about two seconds, and faster when time is compressed.
    assert shapes.spawn_rate_for("spike", 10, None, 1.0) >= 10 * shapes.SPIKE_FACTOR / 2
    assert shapes.spawn_rate_for("step", 10, None, 0.1) == pytest.approx(20.0)
    assert shapes.spawn_rate_for("steady", 10, 50.0, 1.0) == 50.0


def test_config_from_env_defaults_to_steady_and_rejects_unknown_shapes() -> None:
    assert shapes.ShapeConfig.from_env({}) == shapes.ShapeConfig("steady", 1.0, None)
    cfg = shapes.ShapeConfig.from_env(
        {"LOCUST_SHAPE": "Spike", "LAB_SHAPE_TIME_SCALE": "0.05", "LAB_SHAPE_RUN_S": "9"}
    )
    assert cfg == shapes.ShapeConfig("spike", 0.05, 9.0)
    with pytest.raises(ValueError, match="steady, step, spike, wave"):
        shapes.ShapeConfig.from_env({"LOCUST_SHAPE": "sawtooth"})
    with pytest.raises(ValueError):
        shapes.ShapeConfig.from_env({"LAB_SHAPE_TIME_SCALE": "0"})


@pytest.mark.parametrize(
    ("argv", "env", "explicit"),
    [
        (["locust"], {}, False),
        (["locust", "-u", "4"], {}, True),
        (["locust", "-u4"], {}, True),
        (["locust", "--users=4"], {}, True),
        (["locust"], {"LOCUST_USERS": "30"}, True),
        (["locust", "--autostart"], {"LOCUST_USERS": ""}, False),
    ],
)
def test_explicit_user_count_detection(
    argv: list[str], env: dict[str, str], explicit: bool
) -> None:
    assert shapes.users_given_explicitly(argv, env) is explicit


def test_base_level_ignores_locusts_implicit_one_but_follows_later_changes() -> None:
    # Started without -u: Locust says 1, which must not shrink the lab to one user.
    assert shapes.base_level(1, 1, explicit=False) is None
    # Then `make load USERS=25` (POST /swarm) changes it: followed.
    assert shapes.base_level(25, 1, explicit=False) == 25
    # Started with -u 1 on purpose: honoured.
    assert shapes.base_level(1, 1, explicit=True) == 1
    assert shapes.base_level(None, None, explicit=False) is None
