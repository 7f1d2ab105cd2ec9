"""The guardrails in the service: one FastAPI dependency on the /v1 routes, and a provider
wrapper that settles each call's real token usage and cost against the tenant's limits.

Per request, in order (cheapest and most decisive first):
  1. API key -> tenant (its own, or the one a delegating key names) and the tenant's tier
     (401, identical for every failure);
  2. rate limits and the daily budget, reserving the call's estimated cost (429 with
     Retry-After); the reservation settles with the real cost, or is released at the end of
     the request (`ReservationMiddleware`);
  3. prompt-injection score over every message and template variable (on the span; flagged,
     or 400 when blocked);
  4. PII counts by type in the user's messages (an event; the orchestrator redacts the text).

Wiring (create_app): ``guard = Guardrails(settings, cost_usd=..., tenant_label=..., keys=...)``;
the provider stack's metering layer (providers/stack.py) calls ``guard.settle`` with each call's
usage (a cut-short stream's partial usage included), the orchestrator calls it with ``cached=True``
for a cache hit, ``ReservationMiddleware`` wraps the app, and the OpenAI router runs with
``dependencies=[Depends(guard)]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
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
class Admission:
    tenant: str  # the limiter's (bounded) tenant key
    tier: str
    estimated_tokens: int
    reservation: Reservation | None = None


_admission: ContextVar[Admission | None] = ContextVar("guardrails_admission", default=None)


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


@dataclass(frozen=True)
class _BodyTexts:
    every: list[str]  # every text the model reads (for the token estimate)
    messages: list[tuple[str, str]]  # (role, text) of every chat message
    variables: dict[str, str]  # template variables


def _texts(body: Any) -> _BodyTexts:
    """The texts of a chat or embeddings body, not yet validated (dependencies run first)."""
    out = _BodyTexts([], [], {})
    if not isinstance(body, dict):
        return out
    every, messages_out = out.every, out.messages
    messages = body.get("messages")
    if isinstance(messages, list):
        for m in messages:
            if not isinstance(m, dict):
                continue
            content = m.get("content")
            if isinstance(content, list):
                # The body is not validated yet (dependencies run first): take only real text.
                content = "".join(
                    p["text"]
                    for p in content
                    if isinstance(p, dict) and isinstance(p.get("text"), str)
                )
            if not isinstance(content, str):
                continue
            every.append(content)
            role = m.get("role")
            messages_out.append((role if isinstance(role, str) else "unknown", content))
    variables = body.get("template_variables")
    if isinstance(variables, dict):
        for name, value in variables.items():
            if isinstance(name, str) and isinstance(value, str):
                out.variables[name] = value
                every.append(value)
    inputs = body.get("input")
    if isinstance(inputs, str):
        every.append(inputs)
    elif isinstance(inputs, list):
        every += [i for i in inputs if isinstance(i, str)]
    return out


def _output_limit(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


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

    # -- the dependency --------------------------------------------------------------------
    async def __call__(self, request: Request) -> Principal:
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

        body: Any = None
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"null")
            except (ValueError, UnicodeDecodeError, RecursionError):
                body = None  # the route answers malformed JSON itself
        texts = _texts(body)
        estimate = estimate_tokens(texts.every)

        if principal.authenticated and self.settings.rate_limits_enabled:
            cost = self._estimated_cost(body, estimate)
            reservation = self._admit(label, tier, estimate, cost, request_id)
            request.scope.setdefault(RESERVATIONS, []).append(reservation)
            _admission.set(Admission(label, tier, estimate, reservation))

        if self.settings.injection_enabled and (texts.messages or texts.variables):
            await self._score(texts, label, request_id, span)
        pii_texts = [t for role, t in texts.messages if role in _PII_ROLES]
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
        return principal

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

    def _estimated_cost(self, body: Any, prompt_tokens: int) -> float:
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str):
            return 0.0
        output = 0 if "input" in body else self.outputs.expected(model, _output_limit(body))
        return self._cost_usd(model, Usage(prompt_tokens, output))

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

    async def _score(self, texts: _BodyTexts, tenant: str, request_id: str, span: Any) -> None:
        verdict = await self.scorer.score_request_async(texts.messages, texts.variables)
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
    def settle(self, model: str, usage: Usage, *, cached: bool = False) -> None:
        """Charge a finished call's real tokens and cost (none for a cache hit, which used no
        model) to the admitted tenant, once."""
        admission = _admission.get()
        if admission is None or admission.reservation is None:
            return
        _admission.set(None)
        actual = usage.input_tokens + usage.output_tokens
        if not cached:
            self.outputs.observe(model, usage.output_tokens)
        self.limiter.settle(
            admission.reservation,
            actual_tokens=actual,
            cost_usd=0.0 if cached else self._cost_usd(model, usage),
        )
        self.telemetry.budget_remaining(
            admission.tenant,
            admission.tier,
            self.limiter.remaining_budget_usd(admission.tenant, admission.tier),
        )


class ReservationMiddleware:
    """Releases a request's cost reservations that nothing settled (validation errors, blocked
    prompts, provider failures) once the response, streamed or not, is over."""

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
