"""The GenAI call record: one structured log event per model call, the logs pillar's ledger.

Every POST /v1/chat/completions and /v1/embeddings ends with exactly one ``genai_lab.call``
log event (stdout JSON and OTLP, like every other log): who called (tenant, pseudonymous
user), what ran (operation, provider, models), what it used and cost (tokens, USD), how it
went (latency, time to first chunk, cache hit, finish reason, outcome, error type) and what the
guardrails saw (injection score, PII count), plus a keyed hash of the prompt, never the prompt.
Served from the cache, failed at the provider, or refused by a guardrail: still one record,
with the outcome saying which. The fields are documented, and tested, in one place:
docs/schemas/genai-call-record.schema.json.

How it is assembled, with one hook in the app factory (``install(app)``):
    CallRecordMiddleware   opens a draft per call request, sets user.id on the server span,
                           and emits the record when the response is finished (streams too);
                           the record is the call's one log line (no uvicorn access line)
    RecordingOrchestrator  fills the draft from what the orchestrator returns: model, usage,
                           cost (the figure the call's admission priced), cache hit, finish
                           reason, time to first chunk, provider errors
    note_guardrails()      the guardrails' verdicts (called where they are computed)
    note_rejection()       the reason a 4xx was answered (called where rejections are answered)
    UserIdSpanProcessor    user.id on every span started inside the request

The record costs one structlog call with about twenty short fields; the prompt is hashed in
one BLAKE2b pass and never copied.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor
from starlette.types import Message, Receive, Scope, Send

from genai_service import pseudonym
from genai_service.asgi import HTTPMiddleware
from genai_service.errors import ProviderError
from genai_service.providers.base import (
    ChatRequest,
    EmbeddingRequest,
    EmbeddingResult,
    StreamChunk,
    Usage,
)
from genai_service.providers.instrumented import CLIENT_CLOSED
from genai_service.providers.tokens import partial_usage
from lab_telemetry.context import current_caller
from lab_telemetry.logs import replace_access_line, reset_access_line

EVENT_NAME = "genai_lab.call"
USER_ID = "user.id"
CALL_PATHS = {"/v1/chat/completions": "chat", "/v1/embeddings": "embeddings"}
# Reasons the guardrails answer with (genai_service.guardrails.guard); any other 4xx reason is
# the caller's malformed request.
GUARDRAIL_REASONS = frozenset({"unauthorized", "budget_exceeded", "prompt_injection"})
GUARDRAIL_REASON_PREFIX = "rate_limited_"

log = structlog.get_logger("genai_service.call_record")
_stdlib_log = logging.getLogger("genai_service.call_record")


class Outcome(StrEnum):
    SUCCESS = "success"
    GUARDRAIL_REJECTED = "guardrail_rejected"
    INVALID_REQUEST = "invalid_request"
    PROVIDER_ERROR = "provider_error"
    CANCELLED = "cancelled"
    ERROR = "error"


@dataclass(slots=True)
class CallDraft:
    """What is known about one call so far; turned into the record once, at the end."""

    operation: str
    started: float
    request_model: str | None = None
    response_model: str | None = None
    provider: str | None = None
    stream: bool = False
    call_started: float | None = None
    call_ended: float | None = None
    first_chunk_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False
    finish_reason: str | None = None
    outcome: Outcome | None = None
    error_type: str | None = None
    injection_score: float | None = None
    pii_count: int = 0
    prompt_hash: str | None = None


_draft: ContextVar[CallDraft | None] = ContextVar("genai_call_draft", default=None)


def current_draft() -> CallDraft | None:
    return _draft.get()


# -- notes from the rest of the service ------------------------------------------------------
def note_guardrails(*, injection_score: float | None = None, pii_count: int | None = None) -> None:
    draft = _draft.get()
    if draft is None:
        return
    if injection_score is not None:
        draft.injection_score = injection_score
    if pii_count is not None:
        draft.pii_count = pii_count


def note_rejection(reason: str) -> None:
    """A 4xx is being answered for `reason` (the genai_lab.requests.rejected reason)."""
    draft = _draft.get()
    if draft is None or draft.outcome is not None:
        return
    guardrail = reason in GUARDRAIL_REASONS or reason.startswith(GUARDRAIL_REASON_PREFIX)
    draft.outcome = Outcome.GUARDRAIL_REJECTED if guardrail else Outcome.INVALID_REQUEST
    draft.error_type = reason


# -- the record --------------------------------------------------------------------------------
def build_record(draft: CallDraft, *, status: int | None, now: float) -> dict[str, Any]:
    """The record's fields (schema: docs/schemas/genai-call-record.schema.json)."""
    caller = current_caller()
    outcome = draft.outcome
    error_type = draft.error_type
    if outcome is None:
        if status is None:
            outcome, error_type = Outcome.CANCELLED, CLIENT_CLOSED
        elif status < 400:
            outcome = Outcome.SUCCESS
        elif status < 500:
            outcome, error_type = Outcome.INVALID_REQUEST, f"http_{status}"
        else:
            outcome, error_type = Outcome.ERROR, "unhandled_exception"
    started = draft.call_started if draft.call_started is not None else draft.started
    ended = draft.call_ended if draft.call_ended is not None else now
    fields: dict[str, Any] = {
        "event.name": EVENT_NAME,
        # request_id is added by the log pipeline, as on every line (lab_telemetry/logs.py).
        "tenant.id": caller.tenant_id if caller else "anonymous",
        "gen_ai.operation.name": draft.operation,
        "gen_ai.usage.input_tokens": draft.input_tokens,
        "gen_ai.usage.output_tokens": draft.output_tokens,
        "genai_lab.cost.usd": draft.cost_usd,
        "genai_lab.call.outcome": str(outcome),
        "genai_lab.call.latency_s": round(max(0.0, ended - started), 6),
        "genai_lab.call.cache_hit": draft.cache_hit,
        "genai_lab.call.stream": draft.stream,
        "genai_lab.guardrails.pii_count": draft.pii_count,
    }
    # Unknown values are left out, not written as null: OTLP attributes have no null.
    optional = {
        USER_ID: caller.user_id if caller else None,
        "gen_ai.provider.name": draft.provider,
        "gen_ai.request.model": draft.request_model,
        "gen_ai.response.model": draft.response_model,
        "genai_lab.call.finish_reason": draft.finish_reason,
        "genai_lab.call.time_to_first_chunk_s": (
            round(draft.first_chunk_s, 6) if draft.first_chunk_s is not None else None
        ),
        "error.type": error_type,
        "genai_lab.guardrails.injection_score": draft.injection_score,
        "genai_lab.call.prompt_hash": draft.prompt_hash,
        "http.response.status_code": status,
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    return fields


def emit(draft: CallDraft, *, status: int | None) -> None:
    # Straight to the stdlib logger, into the same pipeline as every other line: structlog
    # would add nothing to this record (no bound context, no reserved keys) but its
    # processors, and this record is written on every call.
    try:
        _stdlib_log.info(
            EVENT_NAME, extra=build_record(draft, status=status, now=time.perf_counter())
        )
    except Exception:
        # Telemetry never fails the request: a record that cannot be built is itself logged.
        log.exception("call record not emitted")


# -- the middleware ------------------------------------------------------------------------------
class CallRecordMiddleware(HTTPMiddleware):
    """Opens a draft for each call request and emits its record once the response is done.

    Sits inside CallerMiddleware (the caller, with its pseudonymous user id, is known) and
    outside everything that can answer a call request (body limit, guardrails, routes, the
    unhandled-error handler), so each of them ends in exactly one record.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = current_caller()
        if caller is not None and caller.user_id is not None:
            trace.get_current_span().set_attribute(USER_ID, caller.user_id)
        operation = CALL_PATHS.get(scope.get("path", ""))
        if operation is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return

        draft = CallDraft(operation=operation, started=time.perf_counter())
        token = _draft.set(draft)
        # The record says what the access line says (status, timing, ids) and more: it is
        # the call's one log line.
        access = replace_access_line()
        status: int | None = None

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            reset_access_line(access)
            _draft.reset(token)
            emit(draft, status=status)


# -- the orchestrator side ---------------------------------------------------------------------
def _cost(request: ChatRequest | EmbeddingRequest, usage: Usage) -> float:
    # The figure the call's admission priced and charged to the budget, not priced again.
    meter = request.meter
    cost = meter.cost_usd(request.model, usage) if meter is not None else None
    return cost or 0.0


class RecordingOrchestrator:
    """The orchestrator, with each call's outcome noted on the request's draft."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._provider = getattr(getattr(inner, "provider", None), "name", None)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._inner, attr)

    def _open(self, model: str, parts: Any, *, stream: bool = False) -> CallDraft | None:
        draft = _draft.get()
        if draft is None:
            return None
        draft.request_model = model
        draft.provider = self._provider
        draft.stream = stream
        draft.prompt_hash = pseudonym.pseudonymiser().prompt_hash(parts)
        draft.call_started = time.perf_counter()
        return draft

    def _used(
        self,
        draft: CallDraft,
        request: ChatRequest | EmbeddingRequest,
        usage: Usage | None,
        cached: bool,
    ) -> None:
        draft.cache_hit = cached
        # A cached answer calls no model: no tokens billed, no cost (as on the metrics).
        if usage is not None and not cached:
            draft.input_tokens = usage.input_tokens
            draft.output_tokens = usage.output_tokens
            draft.cost_usd = _cost(request, usage)

    @staticmethod
    def _failed(draft: CallDraft, exc: BaseException) -> None:
        draft.call_ended = time.perf_counter()
        if isinstance(exc, ProviderError):
            draft.outcome = Outcome.PROVIDER_ERROR
            draft.error_type = exc.error_type
        elif isinstance(exc, asyncio.CancelledError | GeneratorExit):
            draft.outcome, draft.error_type = Outcome.CANCELLED, CLIENT_CLOSED
        elif isinstance(exc, Exception):
            draft.outcome, draft.error_type = Outcome.ERROR, type(exc).__qualname__

    async def chat(self, request: ChatRequest) -> Any:
        draft = self._open(request.model, _chat_parts(request))
        if draft is None:
            return await self._inner.chat(request)
        try:
            outcome = await self._inner.chat(request)
        except BaseException as exc:
            self._failed(draft, exc)
            raise
        draft.call_ended = time.perf_counter()
        result = outcome.result
        draft.response_model = result.response_model or request.model
        draft.finish_reason = result.finish_reason
        self._used(draft, request, result.usage, outcome.cached)
        return outcome

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[tuple[StreamChunk, bool]]:
        draft = self._open(request.model, _chat_parts(request), stream=True)
        if draft is None:
            return self._inner.chat_stream(request)
        return self._stream(request, draft)

    async def _stream(
        self, request: ChatRequest, draft: CallDraft
    ) -> AsyncIterator[tuple[StreamChunk, bool]]:
        stream = self._inner.chat_stream(request)
        started = draft.call_started or time.perf_counter()
        generated: list[str] = []
        cached = False
        try:
            async for chunk, cached in stream:
                if draft.first_chunk_s is None:
                    draft.first_chunk_s = time.perf_counter() - started
                if chunk.finish_reason is not None:
                    draft.call_ended = time.perf_counter()
                    draft.finish_reason = chunk.finish_reason
                    draft.response_model = request.model
                    self._used(draft, request, chunk.usage, cached)
                else:
                    draft.cache_hit = cached
                    generated.append(chunk.text)
                yield chunk, cached
        except GeneratorExit:
            if draft.finish_reason is None:
                draft.call_ended = time.perf_counter()
                draft.outcome, draft.error_type = Outcome.CANCELLED, CLIENT_CLOSED
                self._cut_short(draft, request, generated, cached)
            raise
        except BaseException as exc:
            self._failed(draft, exc)
            self._cut_short(draft, request, generated, cached)
            raise
        finally:
            await stream.aclose()

    def _cut_short(
        self, draft: CallDraft, request: ChatRequest, generated: list[str], cached: bool
    ) -> None:
        # What the model generated before the stream ended is paid for (the metering layer,
        # providers/stack.py, charges the same partial usage), so the record says so too.
        if any(generated) and draft.finish_reason is None:
            usage = partial_usage(request.messages, "".join(generated))
            self._used(draft, request, usage, cached)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        draft = self._open(request.model, request.inputs)
        if draft is None:
            return await self._inner.embed(request)
        try:
            result: EmbeddingResult = await self._inner.embed(request)
        except BaseException as exc:
            self._failed(draft, exc)
            raise
        draft.call_ended = time.perf_counter()
        draft.response_model = result.response_model or request.model
        self._used(draft, request, result.usage, False)
        return result


def _chat_parts(request: ChatRequest) -> Any:
    for message in request.messages:
        yield message.role
        yield message.content


# -- user.id on spans ----------------------------------------------------------------------------
class UserIdSpanProcessor(SpanProcessor):
    """Puts the caller's pseudonymous user.id on every span started inside a request.

    The server span starts before the caller is known; CallRecordMiddleware sets it there.
    """

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        caller = current_caller()
        if caller is not None and caller.user_id is not None:
            span.set_attribute(USER_ID, caller.user_id)


_span_processor_on: set[int] = set()


def _add_span_processor() -> None:
    provider = trace.get_tracer_provider()
    add = getattr(provider, "add_span_processor", None)
    if add is None or id(provider) in _span_processor_on:
        return
    add(UserIdSpanProcessor())
    _span_processor_on.add(id(provider))


def install(app: Any) -> None:
    """The one hook: call after app.state.orchestrator is set, after the middleware that can
    answer a call (body limit, unhandled errors) is added and before CallerMiddleware is (the
    last added runs first, so the record is written inside the caller's context)."""
    pseudonym.configure()
    _add_span_processor()
    app.state.orchestrator = RecordingOrchestrator(app.state.orchestrator)
    app.add_middleware(CallRecordMiddleware)
