"""The app factory, served by `python -m genai_service.serve` (uvicorn with the lab's limits)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from genai_service import call_record, log_classes
from genai_service.api import admin_routes, errors, health_routes, openai_routes
from genai_service.api.middleware import (
    BodyLimitMiddleware,
    CallerMiddleware,
    HeaderLimitMiddleware,
    UnhandledErrorMiddleware,
)
from genai_service.background import BackgroundActivity
from genai_service.faults import FaultState
from genai_service.guardrails.auth import KeyStore
from genai_service.guardrails.guard import Guardrails, ReservationMiddleware
from genai_service.orchestrator.cache import TTLCache
from genai_service.orchestrator.service import Orchestrator
from genai_service.orchestrator.templates import TemplateRegistry
from genai_service.pricing import load_pricing
from genai_service.providers.base import ChatResult
from genai_service.providers.stack import provider_stack
from genai_service.serve import MAX_HEADER_COUNT
from genai_service.settings import Settings
from genai_service.tenants import TenantLabels
from lab_telemetry import setup as telemetry_setup
from lab_telemetry.instruments import instrument
from lab_telemetry.redaction import redact_text

DESCRIPTION = (
    "OpenAI-compatible GenAI gateway of the GenAI Observability Lab: chat completions "
    "(plain and streamed), embeddings and models, served by a simulated model offline or by "
    "Amazon Bedrock, with failure injection under /admin."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    pricing = load_pricing(settings.pricing_path)
    if settings.default_model not in pricing.models:
        raise ValueError(f"DEFAULT_MODEL={settings.default_model!r} is not in the pricing table")

    app = FastAPI(
        title="genai-service",
        version="0.1.0",
        description=DESCRIPTION,
        telemetry=telemetry_setup.fastapi_telemetry(settings),
    )
    telemetry_setup.configure(app, settings, background=BackgroundActivity(settings))
    instrument("genai_lab.budget.daily_usd").set(settings.daily_budget_usd)

    fault_state = FaultState(settings.faults)
    # API keys, limits and budgets, injection scoring: the /v1 routes authenticate and admit
    # each call; the metering layer of the provider stack settles the admission the request
    # carries with the call's real usage and cost.
    keys = KeyStore.from_settings(settings.guardrails)
    tenant_label = TenantLabels.of(settings.known_tenants, keys.tenants())
    guard = Guardrails(
        settings.guardrails, cost_usd=pricing.cost_usd, tenant_label=tenant_label, keys=keys
    )
    provider = provider_stack(settings, pricing, faults=fault_state, tenant_label=tenant_label)
    # Prompts and answers are redacted before the cache, the provider and any telemetry.
    redact = redact_text
    cache: TTLCache[ChatResult] | None = (
        TTLCache(settings.cache_max_entries, settings.cache_ttl_s)
        if settings.cache_enabled
        else None
    )
    app.state.settings = settings
    app.state.pricing = pricing
    app.state.faults = fault_state
    app.state.guardrails = guard
    app.state.provider_name = provider.name
    app.state.orchestrator = Orchestrator(
        provider,
        templates=TemplateRegistry.load(),
        cache=cache,
        tenant_label=tenant_label,
        redact=redact,
    )

    # genai_lab.log.class on log records: Loki's per-stream retention keys on it.
    log_classes.install()
    errors.install(app)
    # Last added runs first: the caller (request id) wraps everything, so even a 500 has one.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ReservationMiddleware, guard=guard)
    # One genai_lab.call log record per model call, and user.id on the request's spans: inside
    # the caller's context, outside everything that can answer a call.
    if settings.call_records_enabled:
        call_record.install(app)
    app.add_middleware(CallerMiddleware)
    app.add_middleware(HeaderLimitMiddleware, max_headers=MAX_HEADER_COUNT)
    app.include_router(health_routes.router)
    app.include_router(openai_routes.router)
    app.include_router(admin_routes.router)
    app.state.route_templates = [
        (route.path_regex, route.path)
        for router in (health_routes.router, openai_routes.router, admin_routes.router)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    return app
