"""Guardrail settings, read from the environment once at start-up.

Defaults suit `make run`: keys optional, generous limits. The compose stack sets
REQUIRE_API_KEY=true and passes the generated LAB_API_KEY.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from genai_service.envvars import env_bool, env_float

TIERS = ("free", "pro", "enterprise")


@dataclass(frozen=True)
class TierLimits:
    requests_per_minute: int
    tokens_per_minute: int
    daily_budget_usd: float


# Free is deliberately tight so a demo can show 429s; enterprise is sized for the lab's Locust
# load (the LAB_API_KEY tenant) so the stack is not throttled by its own traffic.
DEFAULT_LIMITS: dict[str, TierLimits] = {
    "free": TierLimits(requests_per_minute=20, tokens_per_minute=20_000, daily_budget_usd=1.0),
    "pro": TierLimits(requests_per_minute=300, tokens_per_minute=300_000, daily_budget_usd=25.0),
    "enterprise": TierLimits(
        requests_per_minute=6_000, tokens_per_minute=6_000_000, daily_budget_usd=500.0
    ),
}


@dataclass(frozen=True)
class GuardrailSettings:
    require_api_key: bool = False
    api_keys: str = ""  # "key:tenant:tier,..." (raw keys; a file of digests is preferred)
    api_keys_file: str = ""
    lab_api_key: str = ""
    rate_limits_enabled: bool = True
    limits: Mapping[str, TierLimits] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    injection_enabled: bool = True
    injection_flag_threshold: float = 0.5
    injection_block_threshold: float = 0.8

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GuardrailSettings:
        env = os.environ if env is None else env
        d = cls()  # the defaults, written once above
        limits = {}
        for tier, base in DEFAULT_LIMITS.items():
            prefix = tier.upper()
            limits[tier] = TierLimits(
                requests_per_minute=int(
                    env_float(env, f"RATE_LIMIT_{prefix}_RPM", base.requests_per_minute, minimum=1)
                ),
                tokens_per_minute=int(
                    env_float(env, f"RATE_LIMIT_{prefix}_TPM", base.tokens_per_minute, minimum=1)
                ),
                daily_budget_usd=env_float(
                    env, f"BUDGET_{prefix}_DAILY_USD", base.daily_budget_usd, minimum=0
                ),
            )
        flag = env_float(env, "INJECTION_FLAG_THRESHOLD", d.injection_flag_threshold, minimum=0)
        block = env_float(env, "INJECTION_BLOCK_THRESHOLD", d.injection_block_threshold, minimum=0)
        if not 0 < flag <= block <= 1:
            raise ValueError(
                "need 0 < INJECTION_FLAG_THRESHOLD <= INJECTION_BLOCK_THRESHOLD <= 1, "
                f"got {flag} and {block}"
            )
        return cls(
            require_api_key=env_bool(env, "REQUIRE_API_KEY", d.require_api_key),
            api_keys=env.get("API_KEYS", d.api_keys),
            api_keys_file=env.get("API_KEYS_FILE", d.api_keys_file),
            lab_api_key=env.get("LAB_API_KEY", d.lab_api_key),
            rate_limits_enabled=env_bool(env, "RATE_LIMITS_ENABLED", d.rate_limits_enabled),
            limits=limits,
            injection_enabled=env_bool(env, "INJECTION_GUARD_ENABLED", d.injection_enabled),
            injection_flag_threshold=flag,
            injection_block_threshold=block,
        )
