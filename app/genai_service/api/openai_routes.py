"""OpenAI-compatible routes: chat completions (plain and streamed), embeddings, models.

A call reads top to bottom: the caller is authenticated (a dependency: it reads only headers
and runs before FastAPI validates the body, so an unauthenticated caller gets a 401 whatever
its body holds); the body is validated once, into its pydantic model; the guardrails admit the
call on that model (limits and budget, injection, PII); the orchestrator runs it through the
provider stack, whose metering layer settles the admission the request carries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response, StreamingResponse

from genai_service.api.embedding_limits import check_embedding_limits
from genai_service.api.openai_format import (
    ChunkWriter,
    chat_prompt,
    completion_payload,
    embedding_prompt,
    encode_vector,
    to_chat_request,
)
from genai_service.api.schemas import (
    ERROR_RESPONSES,
    ChatCompletion,
    ChatCompletionRequest,
    EmbeddingList,
    EmbeddingRequestBody,
    ErrorResponse,
    ModelCard,
    ModelList,
)
from genai_service.errors import APIError, ProviderError, error_code
from genai_service.guardrails.guard import Admission, Guardrails, Identity, Prompt
from genai_service.orchestrator.service import Orchestrator
from genai_service.orchestrator.templates import TemplateError
from genai_service.pricing import ModelPrice, PricingTable
from genai_service.providers.base import (
    ChatRequest,
    EmbeddingRequest,
    StreamChunk,
)
from genai_service.settings import Settings

log = structlog.get_logger()


async def authenticated(request: Request) -> Identity:
    """Who the call is for, or a 401 (guardrails/guard.py)."""
    guard: Guardrails = request.app.state.guardrails
    return await guard.authenticate(request)


Authenticated = Annotated[Identity, Depends(authenticated)]
# Every /v1 route authenticates; FastAPI runs a dependency once per request however often it
# is named, so the routes that need the identity name it again as a parameter.
router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(authenticated)])

# Fixed "created" for model cards: the date the pricing table was written, not process start.
_MODELS_CREATED = 1_763_769_600  # 2025-11-22
_OWNER = {"anthropic": "anthropic", "amazon": "amazon"}


def _model(pricing: PricingTable, model: str, kind: str) -> ModelPrice:
    price = pricing.get(model)
    if price is None:
        known = ", ".join(pricing.ids(kind))
        raise APIError(
            400,
            f"The model '{model}' does not exist or is not priced. Available: {known}.",
            reason="unknown_model",
            param="model",
            code="model_not_found",
        )
    if price.kind != kind:
        raise APIError(
            400,
            f"The model '{model}' is a {price.kind} model and cannot serve this endpoint.",
            reason="wrong_model_kind",
            param="model",
            code="model_not_supported",
        )
    return price


def _owner(price: ModelPrice) -> str:
    vendor = price.bedrock_id.split(".")
    for part in vendor[:2]:
        if part in _OWNER:
            return _OWNER[part]
    return "genai-lab"


def _post(path: str, answer: type[BaseModel]) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST route that builds its own Response (JSON or an event stream); OpenAPI still
    documents its answer and the error shape."""
    return router.post(
        path, response_model=None, responses={200: {"model": answer}, **ERROR_RESPONSES}
    )


async def _admit(
    request: Request, caller: Identity, prompt: Prompt
) -> tuple[Admission, ModelPrice]:
    """The guardrails admit the call, then its model must be one the pricing table prices for
    this kind of call."""
    state = request.app.state
    guard: Guardrails = state.guardrails
    admission = await guard.admit(request, caller, prompt)
    kind = "embedding" if prompt.embedding else "chat"
    return admission, _model(state.pricing, prompt.model, kind)


@_post("/chat/completions", ChatCompletion)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, caller: Authenticated
) -> Response:
    admission, _ = await _admit(request, caller, chat_prompt(body))
    settings: Settings = request.app.state.settings
    orchestrator: Orchestrator = request.app.state.orchestrator
    limit = body.output_limit()
    if limit is not None and limit > settings.max_output_tokens:
        param = "max_completion_tokens" if body.max_completion_tokens else "max_tokens"
        raise APIError(
            400,
            f"'{param}' is {limit}; this service allows at most {settings.max_output_tokens}.",
            reason="max_tokens_out_of_range",
            param=param,
        )
    try:
        chat_request = await orchestrator.prepare_async(
            to_chat_request(body, admission), body.template, body.template_variables
        )
    except TemplateError as exc:
        raise APIError(400, str(exc), reason="template", param=exc.param) from exc

    created = int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream(orchestrator, chat_request, body.model, created, include_usage)

    outcome = await orchestrator.chat(chat_request)
    response_id = (
        outcome.result.response_id
        if outcome.result.response_id and not outcome.cached
        else f"chatcmpl-{uuid.uuid4().hex}"
    )
    return Response(
        completion_payload(outcome.result, body.model, response_id, created),
        media_type="application/json",
        headers={"x-cache": "hit" if outcome.cached else "miss"},
    )


async def _stream(
    orchestrator: Orchestrator,
    chat_request: ChatRequest,
    model: str,
    created: int,
    include_usage: bool,
) -> Response:
    stream = orchestrator.chat_stream(chat_request)
    # Pull the first chunk before answering, so a provider failure before any output keeps its
    # real status (429, 503, ...) instead of hiding inside a 200 event stream.
    try:
        first, cached = await anext(stream)
    except StopAsyncIteration:
        first, cached = StreamChunk(text="", finish_reason="stop"), False
    except ProviderError:
        await stream.aclose()
        raise
    writer = ChunkWriter(f"chatcmpl-{uuid.uuid4().hex}", model, created)

    async def events() -> AsyncIterator[bytes]:
        chunk: StreamChunk | None = first
        yield writer.delta({"role": "assistant", "content": ""})
        calls_sent = 0
        try:
            while chunk is not None:
                if chunk.text:
                    yield writer.delta({"content": chunk.text})
                if chunk.tool_calls:
                    yield writer.tool_calls(chunk.tool_calls, calls_sent)
                    calls_sent += len(chunk.tool_calls)
                if chunk.finish_reason is not None:
                    yield writer.delta({}, chunk.finish_reason)
                    if include_usage and chunk.usage is not None:
                        yield writer.usage(chunk.usage)
                try:
                    chunk, _ = await anext(stream)
                except StopAsyncIteration:
                    chunk = None
        except ProviderError as exc:
            log.warning("provider failed mid-stream", error_type=exc.error_type, detail=exc.message)
            yield writer.error(exc.message, exc.error_type, error_code(exc.error_type))
        finally:
            await stream.aclose()
        yield ChunkWriter.DONE

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-cache": "hit" if cached else "miss"},
    )


@_post("/embeddings", EmbeddingList)
async def embeddings(
    body: EmbeddingRequestBody, request: Request, caller: Authenticated
) -> Response:
    prompt = embedding_prompt(body)
    admission, price = await _admit(request, caller, prompt)
    inputs = prompt.inputs
    if price.limits is not None:
        check_embedding_limits(price.limits, body.model, inputs, body.dimensions)
    result = await request.app.state.orchestrator.embed(
        EmbeddingRequest(
            model=body.model, inputs=inputs, dimensions=body.dimensions, meter=admission
        )
    )
    payload = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode_vector(v, body.encoding_format)}
            for i, v in enumerate(result.vectors)
        ],
        "model": body.model,
        "usage": {
            "prompt_tokens": result.usage.input_tokens,
            "total_tokens": result.usage.input_tokens,
        },
    }
    return JSONResponse(payload)


def _card(price: ModelPrice) -> dict[str, object]:
    return {
        "id": price.id,
        "object": "model",
        "created": _MODELS_CREATED,
        "owned_by": _owner(price),
    }


@router.get("/models", response_model=ModelList)
async def list_models(request: Request, caller: Authenticated) -> dict[str, object]:
    await request.app.state.guardrails.admit(request, caller)  # rate limited like any request
    pricing: PricingTable = request.app.state.pricing
    return {"object": "list", "data": [_card(p) for p in pricing.models.values()]}


@router.get(
    "/models/{model_id}",
    response_model=ModelCard,
    responses={404: {"model": ErrorResponse, "description": "Unknown model"}},
)
async def get_model(model_id: str, request: Request, caller: Authenticated) -> dict[str, object]:
    await request.app.state.guardrails.admit(request, caller)  # rate limited like any request
    price = request.app.state.pricing.get(model_id)
    if price is None:
        raise APIError(
            404,
            f"The model '{model_id}' does not exist.",
            reason="unknown_model",
            param="model",
            code="model_not_found",
        )
    return _card(price)
