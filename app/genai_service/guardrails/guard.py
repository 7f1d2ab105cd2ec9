"""The guardrails in the service: the caller's authentication (a dependency of the /v1 routes,
so it runs before the body is validated) and the admission of each call, which the routes ask
for with the validated request body; the admission then goes down with the call to the
provider stack's metering layer, which settles it.

Per request, in order (cheapest and most decisive first):
  1. API key -> tenant (its own, or the one a delegating key names) and the tenant's tier
     (401, identical for every failure): ``authenticate``, from the headers alone;
  2. rate limits and the daily budget, reserving the call's estimated cost (429 with
     Retry-After); the reservation settles with the real cost, or is released at the end of
     the request (`ReservationMiddleware`): ``admit``, with the validated body;
  3. prompt-injection score over every message and template variable (on the span; flagged,
     or 400 when blocked);
  4. PII counts by type in the user's messages (an event; the orchestrator redacts the text).

Wiring (create_app): ``guard = Guardrails(settings, cost_usd=pricing.cost_usd, ...)`` on
``app.state.guardrails``; the OpenAI routes (api/openai_routes.py) depend on ``authenticate``
and call ``admit``; the ``Admission`` they get rides on the provider request (``meter``) to
the metering layer (providers/stack.py), which settles it with the call's usage (a cut-short
stream's partial usage included), or to the orchestrator, which settles a cache hit with
``cached=True``. The admission prices the call's usage once: the metering layer, the telemetry
seam (providers/instrumented.py) and the call record read that one figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request
from opentelemetry import trace

from genai_service.call_record import note_guardrails
from genai_service.errors import APIError
from genai_service.guardrails.auth import ANONYMOUS, KeyStore, Principal, bearer_token
from genai_service.guardrails.errors import (
    GuardrailRejection,
    injection_blocked,
    too_many_requests,
    unauthorized,
)
from genai_service.guardrails.events import (
    UNKNOWN_TENANT,
    EventType,
    GuardrailTelemetry,
    SecurityEvent,
)
from genai_service.guardrails.injection import Action, InjectionScorer
from genai_service.guardrails.ratelimit import (
    LimitReason,
    OutputEstimator,
    Reservation,
    TenantLimiter,
    estimate_tokens,
)
from genai_service.guardrails.settings import GuardrailSettings
from genai_service.offload import map_yielding
from genai_service.providers.base import Usage
from genai_service.pseudonym import user_pseudonym
from genai_service.tenants import TenantLabels
from lab_telemetry.context import current_caller, set_caller
from lab_telemetry.redaction import redact_text

SPAN_PREFIX = "genai_lab.guardrails."
_PII_ROLES = frozenset({"user", "tool"})
_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")
# The ASGI scope key under which a request's reservations wait to be released.
RESERVATIONS = "genai_lab.reservations"


@dataclass(frozen=True)
class Prompt:
    """What the guardrails read of a validated request body (built by api/openai_format.py)."""

    model: str
    messages: tuple[tuple[str, str], ...] = ()  # (role, text) of every chat message
    variables: Mapping[str, str] = field(default_factory=dict)  # template variables
    inputs: tuple[str, ...] = ()  # embedding inputs: estimated, not scored
    output_limit: int | None = None
    embedding: bool = False

    def texts(self) -> list[str]:
        """Every text the model reads (for the token estimate)."""
        return [t for _, t in self.messages] + list(self.variables.values()) + list(self.inputs)


@dataclass(frozen=True)
class Identity:
    """Who a request acts for, once authenticated."""

    principal: Principal
    tenant: str  # the tenant the call is for (a delegating key's X-Tenant-ID, else the key's)
    tier: str
    label: str  # the tenant as a bounded metric label (also the limiter's key)


class Admission:
    """One admitted call: the tenant and tier it is charged to and the cost reserved for it.

    It travels with the call (``ChatRequest.meter``) to whoever settles it: the metering layer
    of the provider stack, or the orchestrator for a cache hit. It prices the call's usage once
    (``cost_usd``), for the settlement and for the telemetry and call record that report it.
    """

    __slots__ = (
        "_guard",
        "_priced",
        "_settled",
        "estimated_tokens",
        "reservation",
        "tenant",
        "tier",
    )

    def __init__(
        self,
        guard: Guardrails,
        tenant: str,
        tier: str,
        estimated_tokens: int,
        reservation: Reservation | None = None,
    ) -> None:
        self._guard = guard
        self.tenant = tenant  # the limiter's (bounded) tenant key
        self.tier = tier
        self.estimated_tokens = estimated_tokens
        self.reservation = reservation
        self._priced: tuple[str, Usage, float | None] | None = None
        self._settled = False

    def cost_usd(self, model: str, usage: Usage) -> float | None:
        """The call's cost (None for a model the pricing table does not price), priced once:
        every later reader of the same usage gets the same figure without pricing it again."""
        priced = self._priced
        if priced is not None and priced[0] == model and priced[1] == usage:
            return priced[2]
        cost = self._guard.price(model, usage)
        self._priced = (model, usage, cost)
        return cost

    def settle(self, model: str, usage: Usage, *, cached: bool = False) -> None:
        """Charge the finished call's real tokens and cost (none for a cache hit, which used no
        model) to the admitted tenant, once."""
        if self.reservation is None or self._settled:
            return
        self._settled = True
        cost = 0.0 if cached else (self.cost_usd(model, usage) or 0.0)
        self._guard.charge(self, model, usage, cost, cached=cached)


def _rejection(r: GuardrailRejection, reason: str) -> APIError:
    # The service's own error type, so its handler answers, logs and counts it like any 4xx.
    return APIError(
        r.status,
        r.message,
        reason=reason,
        param=r.param,
        code=r.code,
        error_type=r.type,
        headers=r.headers,
    )


def pii_counts(texts: list[str]) -> dict[str, int]:
    """PII found per type, using the service's one set of detectors (lab_telemetry.redaction)."""
    counts: dict[str, int] = {}
    for text in texts:
        already = len(_PLACEHOLDER.findall(text))
        found = _PLACEHOLDER.findall(redact_text(text))
        if len(found) <= already:
            continue
        for kind in found:
            counts[kind] = counts.get(kind, 0) + 1
        for kind in _PLACEHOLDER.findall(text):  # placeholders the caller sent are not PII
            counts[kind] -= 1
    return {k: v for k, v in counts.items() if v > 0}


class Guardrails:
    def __init__(
        self,
        settings: GuardrailSettings,
        *,
        cost_usd: Callable[[str, Usage], float],
        tenant_label: Callable[[str | None], str] | None = None,
        keys: KeyStore | None = None,
        limiter: TenantLimiter | None = None,
        telemetry: GuardrailTelemetry | None = None,
    ) -> None:
        """`cost_usd` prices a call (pricing.PricingTable.cost_usd: KeyError for a model the
        table does not price)."""
        self.settings = settings
        self.keys = keys if keys is not None else KeyStore.from_settings(settings)
        self.limiter = limiter or TenantLimiter(settings.limits)
        self.scorer = InjectionScorer(
            settings.injection_flag_threshold, settings.injection_block_threshold
        )
        self.telemetry = telemetry or GuardrailTelemetry()
        self.outputs = OutputEstimator()
        self._cost_usd = cost_usd
        self._key_tenants = self.keys.tenants()
        self.tenant_label = tenant_label or TenantLabels.of(self._key_tenants, [ANONYMOUS.tenant])
        for tenant, tier in self._key_tenants.items():
            self.telemetry.budget_remaining(
                tenant, tier, self.limiter.remaining_budget_usd(tenant, tier)
            )

    # -- tenants ---------------------------------------------------------------------------
    def _effective_tenant(self, principal: Principal) -> str:
        caller = current_caller()
        header_tenant = caller.tenant_id if caller else None
        if principal.delegate and header_tenant and header_tenant != ANONYMOUS.tenant:
            return header_tenant
        if not principal.authenticated:
            return header_tenant or ANONYMOUS.tenant
        # Any other key acts as its own tenant, whatever X-Tenant-ID says.
        return principal.tenant

    def tier_of(self, tenant: str, principal: Principal) -> str:
        """A tenant's tier: that of its own keys; a tenant named only by a delegating key has
        none and gets the lowest tier (the caller's tier never transfers)."""
        if tenant == principal.tenant:
            return principal.tier
        return self._key_tenants.get(tenant, "free")

    # -- 1. authentication: a dependency, from the headers alone -------------------------------
    async def authenticate(self, request: Request) -> Identity:
        """The caller's identity, or a 401. A dependency of the /v1 routes: FastAPI runs it
        before it validates the body, so an unauthenticated caller learns nothing of the schema."""
        span = trace.get_current_span()
        caller = current_caller()
        request_id = caller.request_id if caller else "-"

        principal = self._authenticate(request, request_id)
        tenant = self._effective_tenant(principal)
        tier = self.tier_of(tenant, principal)
        if caller is not None and caller.tenant_id != tenant:
            # Downstream (cost metrics, logs, the cache) attribute the call to this tenant.
            caller = replace(caller, tenant_id=tenant)
            set_caller(caller)
        if caller is not None and principal.user is not None:
            # A personal key's user, not whatever X-User-ID claims (pseudonymised, like it).
            caller = replace(caller, user_id=user_pseudonym(principal.user))
            set_caller(caller)
            span.set_attribute("user.id", caller.user_id or "")
        label = self.tenant_label(tenant)
        span.set_attribute("tenant.id", label)
        span.set_attribute(SPAN_PREFIX + "tenant_tier", tier)
        span.set_attribute(SPAN_PREFIX + "authenticated", principal.authenticated)
        if principal.authenticated and tenant != principal.tenant:
            span.set_attribute(
                SPAN_PREFIX + "principal_tenant", self.tenant_label(principal.tenant)
            )
            self.telemetry.emit(
                SecurityEvent(
                    EventType.TENANT_DELEGATED,
                    tenant_id=label,
                    request_id=request_id,
                    principal_tenant=self.tenant_label(principal.tenant),
                )
            )
        return Identity(principal, tenant, tier, label)

    def _authenticate(self, request: Request, request_id: str) -> Principal:
        header = request.headers.get("authorization")
        token = bearer_token(header)
        principal = self.keys.lookup(token) if token else None
        if not self.settings.require_api_key:
            # Keys optional (`make run`): a known key still selects its tenant and limits; any
            # other value is anonymous, since OpenAI clients always send some key.
            return principal or ANONYMOUS
        if principal is None:
            reason = "missing" if not header else ("malformed" if token is None else "invalid")
            self.telemetry.emit(
                SecurityEvent(
                    EventType.AUTH_FAILED,
                    tenant_id=UNKNOWN_TENANT,
                    request_id=request_id,
                    reason=reason,
                )
            )
            raise _rejection(unauthorized(), "unauthorized")
        return principal

    # -- 2-4. admission: limits, injection and PII, on the validated body -----------------------
    async def admit(
        self, request: Request, identity: Identity, prompt: Prompt | None = None
    ) -> Admission:
        """Admit one call (429 or 400 otherwise) and return what settles it. `prompt` is the
        validated body as the guardrails read it; None for a route without one (GET /v1/models
        is rate limited like any request)."""
        span = trace.get_current_span()
        caller = current_caller()
        request_id = caller.request_id if caller else "-"
        label, tier = identity.label, identity.tier
        texts = prompt.texts() if prompt is not None else []
        estimate = estimate_tokens(texts)
        admission = Admission(self, label, tier, estimate)

        if identity.principal.authenticated and self.settings.rate_limits_enabled:
            cost = self._estimated_cost(prompt, estimate)
            reservation = self._admit(label, tier, estimate, cost, request_id)
            request.scope.setdefault(RESERVATIONS, []).append(reservation)
            admission.reservation = reservation
        if prompt is None:
            return admission

        if self.settings.injection_enabled and (prompt.messages or prompt.variables):
            await self._score(prompt, label, request_id, span)
        pii_texts = [t for role, t in prompt.messages if role in _PII_ROLES]
        per_text = await map_yielding(lambda t: pii_counts([t]), pii_texts, len)
        counts: dict[str, int] = {}
        for found in per_text:
            for kind, n in found.items():
                counts[kind] = counts.get(kind, 0) + n
        note_guardrails(pii_count=sum(counts.values()))
        if counts:
            self.telemetry.emit(
                SecurityEvent(
                    EventType.PII_DETECTED, tenant_id=label, request_id=request_id, counts=counts
                )
            )
            span.set_attribute(SPAN_PREFIX + "pii_count", sum(counts.values()))
        return admission

    def price(self, model: str, usage: Usage) -> float | None:
        """A call's cost, or None for a model the pricing table does not price."""
        try:
            return self._cost_usd(model, usage)
        except KeyError:
            return None

    def _estimated_cost(self, prompt: Prompt | None, prompt_tokens: int) -> float:
        if prompt is None:
            return 0.0
        model = prompt.model
        output = 0 if prompt.embedding else self.outputs.expected(model, prompt.output_limit)
        return self.price(model, Usage(prompt_tokens, output)) or 0.0

    def _admit(
        self, tenant: str, tier: str, estimate: int, cost_usd: float, request_id: str
    ) -> Reservation | None:
        decision = self.limiter.admit(tenant, tier, estimate, cost_usd)
        if decision.allowed:
            return decision.reservation
        reason = decision.reason or LimitReason.REQUESTS
        budget = reason is LimitReason.BUDGET
        self.telemetry.limited(tenant, tier, str(reason))
        if budget:
            self.telemetry.budget_remaining(tenant, tier, 0.0)
        self.telemetry.emit(
            SecurityEvent(
                EventType.BUDGET_EXCEEDED if budget else EventType.RATE_LIMITED,
                tenant_id=tenant,
                request_id=request_id,
                reason=str(reason),
                retry_after_s=decision.retry_after_s,
            )
        )
        rejection = too_many_requests(
            decision.message, decision.retry_after_s, budget=budget, retryable=decision.retryable
        )
        raise _rejection(rejection, "budget_exceeded" if budget else f"rate_limited_{reason}")

    async def _score(self, prompt: Prompt, tenant: str, request_id: str, span: Any) -> None:
        verdict = await self.scorer.score_request_async(prompt.messages, prompt.variables)
        note_guardrails(injection_score=verdict.score)
        span.set_attribute(SPAN_PREFIX + "injection_score", verdict.score)
        span.set_attribute(SPAN_PREFIX + "injection_action", str(verdict.action))
        if verdict.signals:
            span.set_attribute(SPAN_PREFIX + "injection_signals", list(verdict.signals))
        if verdict.sources:
            span.set_attribute(SPAN_PREFIX + "injection_sources", list(verdict.sources))
        self.telemetry.injection_score(verdict.score, str(verdict.action))
        if verdict.action is Action.ALLOW:
            return
        blocked = verdict.action is Action.BLOCK
        self.telemetry.emit(
            SecurityEvent(
                EventType.INJECTION_BLOCKED if blocked else EventType.INJECTION_FLAGGED,
                tenant_id=tenant,
                request_id=request_id,
                score=verdict.score,
                signals=verdict.signals,
            )
        )
        if blocked:
            raise _rejection(injection_blocked(), "prompt_injection")

    # -- settlement ------------------------------------------------------------------------
    def charge(
        self, admission: Admission, model: str, usage: Usage, cost_usd: float, *, cached: bool
    ) -> None:
        """Settle an admission's reservation with the call's real tokens and cost
        (Admission.settle calls this once)."""
        if admission.reservation is None:
            return
        if not cached:
            self.outputs.observe(model, usage.output_tokens)
        self.limiter.settle(
            admission.reservation,
            actual_tokens=usage.input_tokens + usage.output_tokens,
            cost_usd=cost_usd,
        )
        self.telemetry.budget_remaining(
            admission.tenant,
            admission.tier,
            self.limiter.remaining_budget_usd(admission.tenant, admission.tier),
        )


class ReservationMiddleware:
    """Releases a request's cost reservations that nothing settled (refused after admission:
    an unknown model, a template error, a blocked prompt, a provider failure) once the
    response, streamed or not, is over."""

    def __init__(self, app: Any, guard: Guardrails) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            for reservation in scope.get(RESERVATIONS, ()):
                if reservation is not None:
                    self.guard.limiter.release(reservation)
