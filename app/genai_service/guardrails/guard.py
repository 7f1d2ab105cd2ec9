"""The guardrails in the service: one FastAPI dependency on the /v1 routes, and a provider
wrapper that settles each call's real token usage and cost against the tenant's limits.

Per request, in order (cheapest and most decisive first):
  1. API key -> tenant and tier (401, identical for every failure);
  2. rate limits and the daily budget (429 with Retry-After);
  3. prompt-injection score on the user's messages (on the span; flagged, or 400 when blocked);
  4. PII counts by type in the user's messages (an event; the orchestrator redacts the text).

Wiring (create_app): ``guard = Guardrails.from_settings(settings, pricing)``, wrap the provider
with ``guard.metered(provider)``, and include the OpenAI router with
``dependencies=[Depends(guard)]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from opentelemetry import trace

from genai_service.api.errors import APIError
from genai_service.call_record import note_guardrails
from genai_service.context import current_caller, set_caller
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
from genai_service.guardrails.ratelimit import LimitReason, TenantLimiter, estimate_tokens
from genai_service.guardrails.settings import GuardrailSettings
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Provider,
    StreamChunk,
    Usage,
)
from genai_service.pseudonym import user_pseudonym
from genai_service.redaction import redact_text

SPAN_PREFIX = "genai_lab.guardrails."
_SCORED_ROLES = frozenset({"user", "tool"})
_PLACEHOLDER = re.compile(r"\[REDACTED:([a-z0-9_]+)\]")


@dataclass(frozen=True)
class Admission:
    tenant: str  # the limiter's (bounded) tenant key
    tier: str
    estimated_tokens: int


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


def _texts(body: Any) -> tuple[list[str], list[str]]:
    """(all message texts, texts from the user or tools) of a chat or embeddings body."""
    if not isinstance(body, dict):
        return [], []
    every: list[str] = []
    scored: list[str] = []
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
            if isinstance(role, str) and role in _SCORED_ROLES:
                scored.append(content)
    inputs = body.get("input")
    if isinstance(inputs, str):
        every.append(inputs)
    elif isinstance(inputs, list):
        every += [i for i in inputs if isinstance(i, str)]
    return every, scored


def pii_counts(texts: list[str]) -> dict[str, int]:
    """PII found per type, using the service's one set of detectors (genai_service.redaction)."""
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
        tenant_label: Callable[[str | None], str] = lambda t: t or "other",
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
        self._cost_usd = cost_usd
        self._label = tenant_label
        self._key_tenants = self.keys.tenants()
        for tenant, tier in self._key_tenants.items():
            self.telemetry.budget_remaining(
                tenant, tier, self.limiter.remaining_budget_usd(tenant, tier)
            )

    @classmethod
    def from_settings(cls, settings: Any, pricing: Any) -> Guardrails:
        """From the environment, labelling tenants like the rest of the service."""

        def cost(model: str, usage: Usage) -> float:
            return float(pricing.cost_usd(model, usage)) if pricing.get(model) else 0.0

        return cls(
            GuardrailSettings.from_env(),
            cost_usd=cost,
            tenant_label=getattr(settings, "tenant_label", lambda t: t or "other"),
        )

    # -- tenants ---------------------------------------------------------------------------
    def tenant_label(self, tenant: str) -> str:
        """A bounded tenant name for metrics and limiter state."""
        if tenant in self._key_tenants:
            return tenant
        return self._label(tenant)

    def _effective_tenant(self, principal: Principal) -> str:
        caller = current_caller()
        header_tenant = caller.tenant_id if caller else None
        if principal.delegate and header_tenant and header_tenant != ANONYMOUS.tenant:
            return header_tenant
        if not principal.authenticated:
            return header_tenant or ANONYMOUS.tenant
        return principal.tenant

    # -- the dependency --------------------------------------------------------------------
    async def __call__(self, request: Request) -> Principal:
        span = trace.get_current_span()
        caller = current_caller()
        request_id = caller.request_id if caller else "-"

        principal = self._authenticate(request, request_id)
        tenant = self._effective_tenant(principal)
        if caller is not None and caller.tenant_id != tenant:
            # Downstream (cost metrics, logs) attribute the call to the key's tenant.
            caller = replace(caller, tenant_id=tenant)
            set_caller(caller)
        if caller is not None and principal.user is not None:
            # A personal key's user, not whatever X-User-ID claims (pseudonymised, like it).
            caller = replace(caller, user_id=user_pseudonym(principal.user))
            set_caller(caller)
            span.set_attribute("user.id", caller.user_id or "")
        label = self.tenant_label(tenant)
        span.set_attribute("tenant.id", label)
        span.set_attribute(SPAN_PREFIX + "tenant_tier", principal.tier)
        span.set_attribute(SPAN_PREFIX + "authenticated", principal.authenticated)

        body: Any = None
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"null")
            except (ValueError, UnicodeDecodeError, RecursionError):
                body = None  # the route answers malformed JSON itself
        every, scored = _texts(body)
        estimate = estimate_tokens(every)

        if principal.authenticated and self.settings.rate_limits_enabled:
            self._admit(label, principal.tier, estimate, request_id)
            _admission.set(Admission(label, principal.tier, estimate))

        if self.settings.injection_enabled and scored:
            self._score(scored, label, request_id, span)
        counts = pii_counts(scored)
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

    def _admit(self, tenant: str, tier: str, estimate: int, request_id: str) -> None:
        decision = self.limiter.admit(tenant, tier, estimate)
        if decision.allowed:
            return
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

    def _score(self, texts: list[str], tenant: str, request_id: str, span: Any) -> None:
        verdict = self.scorer.score(texts)
        note_guardrails(injection_score=verdict.score)
        span.set_attribute(SPAN_PREFIX + "injection_score", verdict.score)
        span.set_attribute(SPAN_PREFIX + "injection_action", str(verdict.action))
        if verdict.signals:
            span.set_attribute(SPAN_PREFIX + "injection_signals", list(verdict.signals))
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
    def settle(self, model: str, usage: Usage) -> None:
        """Charge a finished call's real tokens and cost to the admitted tenant (once)."""
        admission = _admission.get()
        if admission is None:
            return
        _admission.set(None)
        actual = usage.input_tokens + usage.output_tokens
        self.limiter.settle(
            admission.tenant,
            admission.tier,
            estimated_tokens=admission.estimated_tokens,
            actual_tokens=actual,
            cost_usd=self._cost_usd(model, usage),
        )
        self.telemetry.budget_remaining(
            admission.tenant,
            admission.tier,
            self.limiter.remaining_budget_usd(admission.tenant, admission.tier),
        )

    def metered(self, provider: Provider) -> Provider:
        return MeteredProvider(provider, self)


class MeteredProvider:
    """Passes calls through and settles each one's usage with the guardrails."""

    def __init__(self, inner: Provider, guard: Guardrails) -> None:
        self._inner = inner
        self._guard = guard
        self.name = inner.name

    def __getattr__(self, item: str) -> Any:
        return getattr(self._inner, item)

    async def chat(self, request: ChatRequest) -> ChatResult:
        result = await self._inner.chat(request)
        self._guard.settle(request.model, result.usage)
        return result

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        stream = self._inner.chat_stream(request)
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    self._guard.settle(request.model, chunk.usage)
                yield chunk
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        result = await self._inner.embed(request)
        self._guard.settle(request.model, result.usage)
        return result
