"""The provider stack, built in one place, outermost layer first:

    metering        MeteredProvider below: settles the admission each request carries
                    (`request.meter`, guardrails/guard.py Admission) with the call's real
                    tokens and cost, and a stream cut short (client closed, provider failed
                    mid-stream) with what it generated
    instrumentation providers/instrumented.py: GenAI spans and metrics, cost on the span
                    (the cost the request's meter priced, the same figure the budget is
                    charged)
    faults          faults.py: injected latency, errors, outages and token inflation, inside
                    the instrumentation so an injected failure is traced like a real one
    provider        the simulator or Amazon Bedrock (providers/factory.py)

Every layer is a ProviderWrapper (providers/base.py). With OTEL_SDK_DISABLED=true the
instrumentation layer is left out.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

from genai_service.faults import FaultInjectingProvider, FaultState
from genai_service.pricing import PricingTable
from genai_service.providers.base import (
    AnyRequest,
    ChatRequest,
    Provider,
    ProviderWrapper,
    StreamChunk,
    Usage,
    UsageHook,
)
from genai_service.providers.factory import build_provider
from genai_service.providers.instrumented import instrument_provider
from genai_service.providers.tokens import partial_usage
from genai_service.settings import Settings


def provider_stack(
    settings: Settings,
    pricing: PricingTable,
    *,
    faults: FaultState,
    tenant_label: Callable[[str | None], str],
    provider: Provider | None = None,
) -> Provider:
    """metering ∘ instrumentation ∘ faults ∘ provider (the settings' provider by default)."""
    model = provider if provider is not None else build_provider(settings, pricing)
    with_faults = FaultInjectingProvider(model, faults, timeout_wait_s=settings.sim_timeout_s)
    instrumented = instrument_provider(with_faults, pricing, tenant_label=tenant_label)
    return MeteredProvider(instrumented)


class MeteredProvider(ProviderWrapper):
    """Passes calls through and settles each one's usage with the meter its request carries
    (none: nothing to settle)."""

    async def begin(self, request: AnyRequest) -> UsageHook | None:
        meter = request.meter
        if meter is None:
            return None

        def charge(usage: Usage) -> Usage:
            meter.settle(request.model, usage)
            return usage

        return charge

    async def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        meter = request.meter
        generated: list[str] = []
        settled = False
        try:
            async with aclosing(self.inner.chat_stream(request)) as stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        if meter is not None:
                            meter.settle(request.model, chunk.usage)
                        settled = True
                    elif chunk.text:
                        generated.append(chunk.text)
                    yield chunk
        finally:
            if meter is not None and not settled and generated:
                # Ended early: what the model generated so far is still paid for. A call
                # refused before any output is not (its reservation is released at the end of
                # the request, guardrails.guard.ReservationMiddleware).
                meter.settle(request.model, partial_usage(request.messages, "".join(generated)))
