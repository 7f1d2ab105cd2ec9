"""Builds the provider the settings ask for: the simulator, or Amazon Bedrock."""

from __future__ import annotations

from genai_service.pricing import PricingTable
from genai_service.providers.base import Provider
from genai_service.providers.simulated import SimulatedConfig, SimulatedProvider
from genai_service.settings import Settings


def build_provider(settings: Settings, pricing: PricingTable) -> Provider:
    if settings.provider == "bedrock":
        # Imported here so the simulated default never pays for loading botocore's models.
        from genai_service.providers.bedrock import BedrockProvider, make_client

        return BedrockProvider(
            make_client(settings),
            pricing,
            embedding_dimensions=settings.embedding_dimensions,
            max_concurrency=settings.bedrock_max_concurrency,
        )
    return SimulatedProvider(
        SimulatedConfig(
            seed=settings.sim_seed,
            latency_ms=settings.sim_latency_ms,
            latency_sigma=settings.sim_latency_sigma,
            token_ms=settings.sim_token_ms,
            min_output_tokens=settings.sim_min_output_tokens,
            max_output_tokens=settings.sim_max_output_tokens,
            error_rates=settings.sim_error_rates,
            timeout_s=settings.sim_timeout_s,
            embedding_dimensions=settings.embedding_dimensions,
        )
    )
