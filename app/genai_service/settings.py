"""Service settings, read once from the environment at start-up.

A plain frozen dataclass instead of pydantic-settings: one dependency fewer, and every variable
is listed here with its default, which app/README.md mirrors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from genai_service.envvars import (
    SettingsError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)
from genai_service.errors import INJECTABLE_ERRORS, InjectableError
from genai_service.faults import Faults
from genai_service.guardrails.settings import GuardrailSettings

DEFAULT_PRICING_PATH = Path(__file__).with_name("pricing.yaml")


def _rates(env: Mapping[str, str], name: str) -> dict[str, float]:
    """`throttled=0.01,timeout=0.005`: background error rates of the simulated provider."""
    raw = env.get(name, "").strip()
    rates: dict[str, float] = {}
    if not raw:
        return rates
    for part in raw.split(","):
        kind, sep, value = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in INJECTABLE_ERRORS:
            raise SettingsError(
                f"{name}: {part!r} is not <type>=<rate> with type in {list(INJECTABLE_ERRORS)}"
            )
        try:
            rate = float(value)
        except ValueError as exc:
            raise SettingsError(f"{name}: {part!r} has no numeric rate") from exc
        if not 0 <= rate <= 1:
            raise SettingsError(f"{name}: rate {rate} is outside 0..1")
        rates[kind] = rate
    if sum(rates.values()) > 1:
        raise SettingsError(f"{name}: the rates add up to more than 1")
    return rates


def _share(value: float) -> float:
    return min(1.0, max(0.0, value))


@dataclass(frozen=True)
class Settings:
    # Which provider answers: "simulated" (offline, default) or "bedrock".
    provider: str = "simulated"
    pricing_path: Path = DEFAULT_PRICING_PATH
    # The resource's defaults (lab_telemetry.setup.TelemetrySettings); OTEL_SERVICE_NAME and
    # OTEL_RESOURCE_ATTRIBUTES win, read by the SDK.
    service_name: str = "genai-service"
    service_namespace: str = "genai-lab"
    environment: str = "lab"

    # Simulated provider. SIM_LATENCY_MS=0 turns every simulated delay off (benchmarks).
    sim_seed: int = 42
    # Defaults keep a healthy lab inside its latency SLO (99% of prompts under 1.5 s): at the
    # log-normal's 99th percentile, 250 ms x e^(2.33 x 0.35) + 160 tokens x 5 ms is about 1.4 s.
    sim_latency_ms: float = 250.0  # median time to first token
    sim_latency_sigma: float = 0.35  # spread of the log-normal latency draw
    sim_token_ms: float = 5.0  # pacing per output token
    sim_min_output_tokens: int = 16
    sim_max_output_tokens: int = 160
    sim_error_rates: dict[str, float] = field(default_factory=dict)
    sim_timeout_s: float = 1.0  # how long a simulated timeout hangs before the 504

    # Amazon Bedrock.
    aws_region: str = "us-east-1"
    bedrock_endpoint_url: str | None = None
    bedrock_connect_timeout_s: float = 5.0
    bedrock_read_timeout_s: float = 60.0
    bedrock_max_attempts: int = 1
    bedrock_max_concurrency: int = 64

    # Orchestrator.
    cache_enabled: bool = True
    cache_ttl_s: float = 300.0
    cache_max_entries: int = 1024
    default_model: str = "claude-haiku-4-5"
    embedding_dimensions: int = 1024
    # One genai_lab.call log record per model call and user.id on its spans (call_record.py).
    # Off only to price them (bench: BENCH_PART_ENV=CALL_RECORDS_ENABLED=false).
    call_records_enabled: bool = True

    # Background activity (background.py), so dashboards and log views are alive with no
    # traffic: generated housekeeping logs and the simulated users gauge. Tests turn it off.
    log_generator_enabled: bool = True
    log_generator_rate_per_s: float = 1.0  # events per second
    log_generator_warning_ratio: float = 0.15  # shares of WARNING and ERROR events
    log_generator_error_ratio: float = 0.05
    simulated_users_enabled: bool = True
    simulated_users_max: int = 25  # upper bound of the random walk
    simulated_users_interval_s: float = 5.0

    # Request limits.
    max_body_bytes: int = 1_048_576
    max_output_tokens: int = 8192

    # Callers: tenants outside this set (and the API keys' tenants) are counted as "other", so
    # metrics stay bounded (genai_service.tenants).
    known_tenants: tuple[str, ...] = ("acme", "globex", "initech", "anonymous")
    daily_budget_usd: float = 250.0

    # Admin API (failure injection). Unset token: the admin API refuses every call.
    admin_token: str | None = None
    # The failure-injection state the service starts with and DELETE /admin/faults restores.
    faults: Faults = field(default_factory=Faults)
    # API keys, rate limits, budgets and injection scoring: the guardrails' own variables,
    # declared beside the guardrails (guardrails/settings.py) and read here with the rest.
    guardrails: GuardrailSettings = field(default_factory=GuardrailSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        d = cls()  # the defaults, written once above
        provider = env_str(e, "LLM_PROVIDER", d.provider).lower()
        if provider not in ("simulated", "bedrock"):
            raise SettingsError(f"LLM_PROVIDER={provider!r} must be simulated or bedrock")
        error_type = env_str(e, "FAULT_ERROR_TYPE", d.faults.error_type)
        if error_type not in INJECTABLE_ERRORS:
            raise SettingsError(
                f"FAULT_ERROR_TYPE={error_type!r} must be one of {list(INJECTABLE_ERRORS)}"
            )
        min_out = env_int(e, "SIM_MIN_OUTPUT_TOKENS", d.sim_min_output_tokens, minimum=1)
        max_out = env_int(e, "SIM_MAX_OUTPUT_TOKENS", d.sim_max_output_tokens, minimum=1)
        if max_out < min_out:
            raise SettingsError("SIM_MAX_OUTPUT_TOKENS must be >= SIM_MIN_OUTPUT_TOKENS")
        admin_token = e.get("ADMIN_TOKEN", "").strip() or None
        region = env_str(e, "AWS_REGION", env_str(e, "AWS_DEFAULT_REGION", d.aws_region))
        return cls(
            provider=provider,
            pricing_path=Path(env_str(e, "PRICING_FILE", str(d.pricing_path))),
            environment=env_str(e, "DEPLOYMENT_ENVIRONMENT", d.environment),
            sim_seed=env_int(e, "SIM_SEED", d.sim_seed),
            sim_latency_ms=env_float(e, "SIM_LATENCY_MS", d.sim_latency_ms, minimum=0),
            sim_latency_sigma=env_float(e, "SIM_LATENCY_SIGMA", d.sim_latency_sigma, minimum=0),
            sim_token_ms=env_float(e, "SIM_TOKEN_MS", d.sim_token_ms, minimum=0),
            sim_min_output_tokens=min_out,
            sim_max_output_tokens=max_out,
            sim_error_rates=_rates(e, "SIM_ERROR_RATES"),
            sim_timeout_s=env_float(e, "SIM_TIMEOUT_S", d.sim_timeout_s, minimum=0),
            aws_region=region,
            bedrock_endpoint_url=e.get("BEDROCK_ENDPOINT_URL", "").strip() or None,
            bedrock_connect_timeout_s=env_float(
                e, "BEDROCK_CONNECT_TIMEOUT_S", d.bedrock_connect_timeout_s, minimum=0.1
            ),
            bedrock_read_timeout_s=env_float(
                e, "BEDROCK_READ_TIMEOUT_S", d.bedrock_read_timeout_s, minimum=0.1
            ),
            bedrock_max_attempts=env_int(
                e, "BEDROCK_MAX_ATTEMPTS", d.bedrock_max_attempts, minimum=1
            ),
            bedrock_max_concurrency=env_int(
                e, "BEDROCK_MAX_CONCURRENCY", d.bedrock_max_concurrency, minimum=1
            ),
            log_generator_enabled=env_bool(e, "LOG_GENERATOR_ENABLED", d.log_generator_enabled),
            log_generator_rate_per_s=max(
                0.0, env_float(e, "LOG_GENERATOR_RATE_PER_S", d.log_generator_rate_per_s)
            ),
            log_generator_warning_ratio=_share(
                env_float(e, "LOG_GENERATOR_WARNING_RATIO", d.log_generator_warning_ratio)
            ),
            log_generator_error_ratio=_share(
                env_float(e, "LOG_GENERATOR_ERROR_RATIO", d.log_generator_error_ratio)
            ),
            simulated_users_enabled=env_bool(
                e, "SIMULATED_USERS_ENABLED", d.simulated_users_enabled
            ),
            simulated_users_max=max(
                1, int(env_float(e, "SIMULATED_USERS_MAX", d.simulated_users_max))
            ),
            cache_enabled=env_bool(e, "CACHE_ENABLED", d.cache_enabled),
            call_records_enabled=env_bool(e, "CALL_RECORDS_ENABLED", d.call_records_enabled),
            cache_ttl_s=env_float(e, "CACHE_TTL_S", d.cache_ttl_s, minimum=0),
            cache_max_entries=env_int(e, "CACHE_MAX_ENTRIES", d.cache_max_entries, minimum=0),
            default_model=env_str(e, "DEFAULT_MODEL", d.default_model),
            embedding_dimensions=env_int(
                e, "EMBEDDING_DIMENSIONS", d.embedding_dimensions, minimum=1
            ),
            max_body_bytes=env_int(e, "MAX_BODY_BYTES", d.max_body_bytes, minimum=1024),
            max_output_tokens=env_int(e, "MAX_OUTPUT_TOKENS", d.max_output_tokens, minimum=1),
            known_tenants=env_list(e, "KNOWN_TENANTS", d.known_tenants),
            daily_budget_usd=env_float(e, "DAILY_BUDGET_USD", d.daily_budget_usd, minimum=0),
            admin_token=admin_token,
            faults=Faults(
                latency_ms=env_float(e, "FAULT_LATENCY_MS", d.faults.latency_ms, minimum=0),
                error_rate=env_float(
                    e, "FAULT_ERROR_RATE", d.faults.error_rate, minimum=0, maximum=1
                ),
                error_type=cast(InjectableError, error_type),
                outage=env_bool(e, "FAULT_OUTAGE", d.faults.outage),
                token_inflation=env_float(
                    e, "FAULT_TOKEN_INFLATION", d.faults.token_inflation, minimum=1
                ),
            ),
            guardrails=GuardrailSettings.from_env(e),
        )
