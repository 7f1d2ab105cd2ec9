"""The GenAI telemetry seam: wraps any Provider with spans and metrics per the conventions.

This is the ONLY place gen_ai.* attributes and metrics are produced (semantic conventions
v1.41, docs/gen-ai): providers stay free of instrumentation, and a new provider gets the same
telemetry by being wrapped. For each call:

- a CLIENT span named "{gen_ai.operation.name} {gen_ai.request.model}" ("chat claude-...",
  "embeddings titan-..."), with request, response and usage attributes, error.type and the
  exception (status ERROR) on failure, and the call's cost as genai_lab.cost.usd (priced by
  the request's meter, its admission, which the budget is charged from; the pricing table
  only for a request that carries none);
- gen_ai.client.operation.duration and gen_ai.client.token.usage (input/output), plus
  time_to_first_chunk and time_per_output_chunk for streams;
- genai_lab.cost.usd by model, provider and tenant, and genai_lab.provider.errors.

Metric attribute values are bounded: request and response models must be in the pricing table
(else "other"), tenants go through the service's tenant_label, and error.type is the
provider's closed vocabulary (or the exception's class name).

Prompt and completion text is recorded only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
=true, as gen_ai.input.messages / gen_ai.output.messages, and redacted even then.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from genai_service.errors import ProviderError
from genai_service.providers import genai_tools
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Meter,
    Provider,
    ProviderWrapper,
    StreamChunk,
    Usage,
)
from genai_service.providers.tokens import partial_usage
from genai_service.providers.tool_types import ToolCall
from genai_service.tenants import TenantLabels
from lab_telemetry.context import current_caller
from lab_telemetry.instruments import instrument
from lab_telemetry.redaction import redact_text
from lab_telemetry.setup import sdk_disabled

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.0"
OTHER = "other"

# Attribute names (semantic conventions v1.41 docs/gen-ai), spelt out so the seam reads on its own.
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE = "gen_ai.request.temperature"
REQUEST_SEED = "gen_ai.request.seed"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
TOKEN_TYPE = "gen_ai.token.type"  # noqa: S105 (an attribute name, not a secret)
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
EMBEDDINGS_DIMENSION = "gen_ai.embeddings.dimension.count"
ERROR_TYPE = "error.type"
COST_USD = "genai_lab.cost.usd"
TENANT = "tenant.id"
# The outcome of a stream the client closed before its end (error.type on its duration).
CLIENT_CLOSED = "client_closed"


class Pricing(Protocol):
    """What the seam needs from genai_service.pricing.PricingTable."""

    def cost_usd(self, model_id: str, usage: Usage) -> float: ...


def capture_content_enabled() -> bool:
    return os.environ.get(CAPTURE_CONTENT_ENV, "false").strip().lower() in ("true", "1", "yes")


def _messages_json(messages: Any) -> str:
    # The conventions' structured form: role plus text parts; content redacted here, at set
    # time, so even an in-process exporter never holds the raw prompt.
    return json.dumps(
        [
            {"role": m.role, "parts": [{"type": "text", "content": redact_text(m.content)}]}
            for m in messages
        ],
        ensure_ascii=False,
    )


def _output_json(text: str, finish_reason: str | None) -> str:
    return json.dumps(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": redact_text(text)}],
                "finish_reason": finish_reason or "stop",
            }
        ],
        ensure_ascii=False,
    )


def _current(span: trace.Span, *, end: bool) -> Any:
    # Exceptions are recorded by _Recorder.fail (with error.type), so use_span must not
    # record them a second time.
    return trace.use_span(
        span, end_on_exit=end, record_exception=False, set_status_on_exception=False
    )


def _error_type(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return exc.error_type
    return type(exc).__qualname__


Q = TypeVar("Q", ChatRequest, EmbeddingRequest)
R = TypeVar("R")


class _Recorder:
    """Instruments and label bounding shared by every call of one instrumented provider."""

    def __init__(
        self,
        provider_name: str,
        pricing: Pricing | None,
        tenant_label: Callable[[str | None], str],
        capture_content: bool,
    ) -> None:
        self.provider_name = provider_name
        self.pricing = pricing
        self.tenant_label = tenant_label
        self.capture_content = capture_content
        self.tracer = trace.get_tracer(__name__, schema_url=SCHEMA_URL)
        self.duration = instrument("gen_ai.client.operation.duration")
        self.tokens = instrument("gen_ai.client.token.usage")
        self.first_chunk = instrument("gen_ai.client.operation.time_to_first_chunk")
        self.per_chunk = instrument("gen_ai.client.operation.time_per_output_chunk")
        self.cost = instrument("genai_lab.cost.usd")
        self.errors = instrument("genai_lab.provider.errors")
        self._known_models: dict[str, bool] = {}

    def model_label(self, model: str | None) -> str:
        """A model as a metric attribute: one the pricing table knows, else "other"."""
        if not model:
            return OTHER
        known = self._known_models.get(model)
        if known is None:
            known = self._priced(model)
            if len(self._known_models) < 1024:
                self._known_models[model] = known
        return model if known else OTHER

    def _priced(self, model: str) -> bool:
        if self.pricing is None:
            return False
        try:
            self.pricing.cost_usd(model, Usage(0, 0))
        except (KeyError, ValueError):
            return False
        return True

    def start(self, operation: str, model: str, attributes: dict[str, Any]) -> trace.Span:
        attributes = {OPERATION: operation, PROVIDER: self.provider_name, **attributes}
        return self.tracer.start_span(
            f"{operation} {model}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            # Exceptions are recorded by fail(), with error.type, once.
            record_exception=False,
            set_status_on_exception=False,
        )

    def metric_attrs(self, operation: str, request_model: str, response_model: str | None) -> dict:
        attrs = {
            OPERATION: operation,
            PROVIDER: self.provider_name,
            REQUEST_MODEL: self.model_label(request_model),
        }
        if response_model:
            attrs[RESPONSE_MODEL] = self.model_label(response_model)
        return attrs

    def succeed(
        self,
        span: trace.Span,
        operation: str,
        request_model: str,
        response_model: str,
        usage: Usage | None,
        started: float,
        meter: Meter | None = None,
    ) -> None:
        attrs = self.metric_attrs(operation, request_model, response_model)
        self.duration.record(time.perf_counter() - started, attrs)
        if usage is None:
            return
        # One set_attributes call: the span takes its lock once, not once per attribute.
        usage_attrs: dict[str, Any] = {INPUT_TOKENS: usage.input_tokens}
        if operation != "embeddings":
            usage_attrs[OUTPUT_TOKENS] = usage.output_tokens
        if usage.cache_read_tokens:
            usage_attrs[CACHE_READ_TOKENS] = usage.cache_read_tokens
        if usage.cache_write_tokens:
            usage_attrs[CACHE_CREATION_TOKENS] = usage.cache_write_tokens
        span.set_attributes(usage_attrs)
        self.tokens.record(usage.input_tokens, {**attrs, TOKEN_TYPE: "input"})
        if operation != "embeddings":
            self.tokens.record(usage.output_tokens, {**attrs, TOKEN_TYPE: "output"})
        self.record_cost(span, request_model, usage, meter)

    def call_cost(self, request_model: str, usage: Usage, meter: Meter | None) -> float | None:
        if meter is not None:
            return meter.cost_usd(request_model, usage)
        if self.pricing is None:
            return None
        try:
            return self.pricing.cost_usd(request_model, usage)
        except (KeyError, ValueError):
            return None

    def record_cost(
        self, span: trace.Span, request_model: str, usage: Usage, meter: Meter | None
    ) -> None:
        cost = self.call_cost(request_model, usage, meter)
        if cost is None:
            return
        span.set_attribute(COST_USD, cost)
        caller = current_caller()
        tenant = self.tenant_label(caller.tenant_id if caller else None)
        self.cost.add(
            cost,
            {
                REQUEST_MODEL: self.model_label(request_model),
                PROVIDER: self.provider_name,
                TENANT: tenant,
            },
        )

    def closed(
        self,
        span: trace.Span,
        request_model: str,
        usage: Usage,
        started: float,
        meter: Meter | None = None,
    ) -> None:
        """A stream the client closed: its duration under error.type client_closed, and the
        partial usage's tokens and cost like any call's."""
        span.set_attribute(ERROR_TYPE, CLIENT_CLOSED)
        attrs = self.metric_attrs("chat", request_model, None)
        self.duration.record(time.perf_counter() - started, {**attrs, ERROR_TYPE: CLIENT_CLOSED})
        span.set_attributes({INPUT_TOKENS: usage.input_tokens, OUTPUT_TOKENS: usage.output_tokens})
        self.tokens.record(usage.input_tokens, {**attrs, TOKEN_TYPE: "input"})
        self.tokens.record(usage.output_tokens, {**attrs, TOKEN_TYPE: "output"})
        self.record_cost(span, request_model, usage, meter)

    async def call(
        self,
        span: trace.Span,
        operation: str,
        started: float,
        inner: Callable[[Q], Awaitable[R]],
        request: Q,
    ) -> R:
        """inner(request), a failure recorded (fail) before it propagates."""
        try:
            return await inner(request)
        except BaseException as exc:
            self.fail(span, operation, request.model, exc, started)
            raise

    def fail(
        self,
        span: trace.Span,
        operation: str,
        request_model: str,
        exc: BaseException,
        started: float,
    ) -> None:
        error_type = _error_type(exc)
        span.set_attribute(ERROR_TYPE, error_type)
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, error_type))
        attrs = self.metric_attrs(operation, request_model, None)
        self.duration.record(time.perf_counter() - started, {**attrs, ERROR_TYPE: error_type})
        self.errors.add(
            1,
            {
                PROVIDER: self.provider_name,
                REQUEST_MODEL: attrs[REQUEST_MODEL],
                ERROR_TYPE: error_type,
            },
        )


def _chat_attributes(request: ChatRequest, capture: bool, stream: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {REQUEST_MODEL: request.model}
    if request.max_tokens is not None:
        attrs[REQUEST_MAX_TOKENS] = request.max_tokens
    if request.temperature is not None:
        attrs[REQUEST_TEMPERATURE] = request.temperature
    if request.seed is not None:
        attrs[REQUEST_SEED] = request.seed
    if stream:
        attrs[REQUEST_STREAM] = True
    if capture:
        attrs[INPUT_MESSAGES] = _messages_json(request.messages)
    if request.tools or request.response_format is not None:
        attrs.update(genai_tools.request_attributes(request, capture))
    return attrs


class InstrumentedProvider(ProviderWrapper):
    """A Provider that records GenAI telemetry around another Provider."""

    def __init__(
        self,
        inner: Provider,
        pricing: Pricing | None,
        *,
        tenant_label: Callable[[str | None], str] | None = None,
        capture_content: bool | None = None,
    ) -> None:
        super().__init__(inner)
        capture = capture_content_enabled() if capture_content is None else capture_content
        # Without the service's tenant rule, only the anonymous caller keeps its name.
        labels = tenant_label or TenantLabels.of(["anonymous"])
        self._rec = _Recorder(inner.name, pricing, labels, capture)

    async def chat(self, request: ChatRequest) -> ChatResult:
        rec = self._rec
        span = rec.start(
            "chat", request.model, _chat_attributes(request, rec.capture_content, False)
        )
        start = time.perf_counter()
        with _current(span, end=True):
            result = await rec.call(span, "chat", start, self.inner.chat, request)
            span.set_attributes(
                {
                    RESPONSE_MODEL: result.response_model,
                    RESPONSE_ID: result.response_id,
                    FINISH_REASONS: (result.finish_reason,),
                }
            )
            if rec.capture_content:
                span.set_attribute(OUTPUT_MESSAGES, _output_json(result.text, result.finish_reason))
            if result.tool_calls:
                span.set_attributes(
                    genai_tools.result_attributes(
                        result.tool_calls, rec.capture_content, result.finish_reason
                    )
                )
            rec.succeed(
                span,
                "chat",
                request.model,
                result.response_model,
                result.usage,
                start,
                request.meter,
            )
            return result

    def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        return self._stream(request)

    async def _stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        rec = self._rec
        span = rec.start(
            "chat", request.model, _chat_attributes(request, rec.capture_content, True)
        )
        start = time.perf_counter()
        last: float | None = None
        finish_reason: str | None = None
        usage: Usage | None = None
        generated: list[str] = []
        tool_calls: list[ToolCall] = []
        # The span is made current only around each step of the inner iterator, never across
        # a yield: a context attached in one step and detached in another would leak.
        with _current(span, end=False):
            iterator = self.inner.chat_stream(request).__aiter__()
        try:
            while True:
                with _current(span, end=False):
                    try:
                        chunk = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
                now = time.perf_counter()
                if last is None:
                    attrs = rec.metric_attrs("chat", request.model, None)
                    rec.first_chunk.record(now - start, attrs)
                elif chunk.text:
                    attrs = rec.metric_attrs("chat", request.model, None)
                    rec.per_chunk.record(now - last, attrs)
                last = now
                if chunk.finish_reason:
                    finish_reason = chunk.finish_reason
                if chunk.usage is not None:
                    usage = chunk.usage
                if chunk.text:
                    generated.append(chunk.text)
                if chunk.tool_calls:
                    tool_calls.extend(chunk.tool_calls)
                yield chunk
        except (GeneratorExit, asyncio.CancelledError):
            # The consumer went away (client disconnect): not a provider error, but what was
            # generated is still paid for, so its tokens and cost are recorded.
            span.set_attribute("genai_lab.stream.cancelled", True)
            partial = usage or partial_usage(request.messages, "".join(generated))
            rec.closed(span, request.model, partial, start, request.meter)
            span.end()
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            raise
        except BaseException as exc:
            rec.fail(span, "chat", request.model, exc, start)
            span.end()
            raise
        else:
            response_model = request.model
            span.set_attribute(RESPONSE_MODEL, response_model)
            if finish_reason:
                span.set_attribute(FINISH_REASONS, (finish_reason,))
            if rec.capture_content:
                span.set_attribute(OUTPUT_MESSAGES, _output_json("".join(generated), finish_reason))
            if tool_calls:
                span.set_attributes(
                    genai_tools.result_attributes(tool_calls, rec.capture_content, finish_reason)
                )
            rec.succeed(span, "chat", request.model, response_model, usage, start, request.meter)
            span.end()

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        rec = self._rec
        attrs: dict[str, Any] = {REQUEST_MODEL: request.model}
        if request.dimensions is not None:
            attrs[EMBEDDINGS_DIMENSION] = request.dimensions
        span = rec.start("embeddings", request.model, attrs)
        start = time.perf_counter()
        with _current(span, end=True):
            result = await rec.call(span, "embeddings", start, self.inner.embed, request)
            span.set_attribute(RESPONSE_MODEL, result.response_model)
            if result.vectors and request.dimensions is None:
                span.set_attribute(EMBEDDINGS_DIMENSION, len(result.vectors[0]))
            response_model = result.response_model
            rec.succeed(
                span,
                "embeddings",
                request.model,
                response_model,
                result.usage,
                start,
                request.meter,
            )
            return result


def instrument_provider(
    provider: Provider,
    pricing: Pricing | None,
    *,
    tenant_label: Callable[[str | None], str] | None = None,
) -> Provider:
    """Wrap a provider with the GenAI telemetry seam (spans, metrics, cost).

    With OTEL_SDK_DISABLED=true the provider is returned as it is, so a benchmark against a
    disabled SDK measures the service without any telemetry code on the path.
    """
    if sdk_disabled():
        return provider
    return InstrumentedProvider(provider, pricing, tenant_label=tenant_label)
