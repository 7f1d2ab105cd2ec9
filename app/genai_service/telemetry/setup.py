"""OpenTelemetry set-up for the service: the one module that configures traces, metrics, logs.

SCAFFOLD: the telemetry work (issue 4) replaces the bodies below. The two entry points and their
signatures are the contract the app factory relies on.
"""

from __future__ import annotations

from typing import Any

from genai_service.providers.base import Provider


def configure(app: Any, settings: Any) -> None:
    """Set up providers, exporters, propagators and instrumentation for this process."""


def instrument_provider(provider: Provider, pricing: Any) -> Provider:
    """Wrap a provider with the GenAI telemetry seam (spans, metrics, cost)."""
    return provider
