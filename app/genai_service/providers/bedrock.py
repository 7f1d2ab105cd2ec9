"""Amazon Bedrock through boto3's bedrock-runtime client: Converse, ConverseStream, and
InvokeModel for Titan text embeddings.

boto3 is synchronous: every call runs on a dedicated thread pool (sized with the connection
pool) so the event loop never blocks, with the caller's context copied so the botocore
instrumentation's spans nest under the request's span. Shapes follow the botocore service model
bedrock-runtime/2023-09-30/service-2.json (ConverseResponse, TokenUsage, ConverseStreamOutput).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import uuid
from collections.abc import AsyncGenerator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from genai_service.errors import ErrorType, ProviderError
from genai_service.pricing import PricingTable
from genai_service.providers import bedrock_tools
from genai_service.providers.base import (
    ChatRequest,
    ChatResult,
    EmbeddingRequest,
    EmbeddingResult,
    Message,
    StreamChunk,
    Usage,
)
from genai_service.settings import Settings

T = TypeVar("T")

# Bedrock's stopReason (StopReason enum) in OpenAI's finish_reason vocabulary.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}

# Bedrock error codes (the operations' `errors` in the service model) to provider errors.
ERROR_TYPES: dict[str, ErrorType] = {
    "ThrottlingException": ErrorType.THROTTLED,
    "ServiceQuotaExceededException": ErrorType.THROTTLED,
    "ModelTimeoutException": ErrorType.TIMEOUT,
    "ServiceUnavailableException": ErrorType.UNAVAILABLE,
    "ModelNotReadyException": ErrorType.UNAVAILABLE,
    "InternalServerException": ErrorType.INTERNAL,
    "ModelErrorException": ErrorType.INTERNAL,
    "ModelStreamErrorException": ErrorType.INTERNAL,
    "AccessDeniedException": ErrorType.INTERNAL,
    "ResourceNotFoundException": ErrorType.INTERNAL,
    "ValidationException": ErrorType.INVALID_REQUEST,
}

# Titan Text Embeddings V2 accepts only these sizes.
TITAN_DIMENSIONS = (256, 512, 1024)


def make_client(settings: Settings) -> Any:
    config = Config(
        region_name=settings.aws_region,
        connect_timeout=settings.bedrock_connect_timeout_s,
        read_timeout=settings.bedrock_read_timeout_s,
        # Retries would hide throttling from the dashboards and the client: one attempt by
        # default, the client (or the caller's SDK) decides about retrying.
        retries={"max_attempts": settings.bedrock_max_attempts, "mode": "standard"},
        max_pool_connections=settings.bedrock_max_concurrency,
    )
    return boto3.client(
        "bedrock-runtime", endpoint_url=settings.bedrock_endpoint_url, config=config
    )


def map_error(exc: Exception) -> ProviderError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        message = str(err.get("Message", "")) or code
        # Errors inside a ConverseStream arrive as event members: throttlingException, ...
        kind = ERROR_TYPES.get(code[:1].upper() + code[1:], ErrorType.INTERNAL)
        return kind.error(f"Bedrock {code}: {message}")
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return ErrorType.TIMEOUT.error(f"Bedrock did not answer in time: {exc}")
    if isinstance(exc, EndpointConnectionError):
        return ErrorType.UNAVAILABLE.error(f"Bedrock endpoint unreachable: {exc}")
    return ErrorType.INTERNAL.error(f"Bedrock call failed: {type(exc).__name__}: {exc}")


def converse_messages(messages: tuple[Message, ...]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Converse wants system prompts apart, user first, and no two turns in a row from the
    same role: merge consecutive turns rather than fail with a ValidationException."""
    system = [{"text": m.content} for m in messages if m.role == "system"]
    turns: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = bedrock_tools.content_blocks(m)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if turns and turns[0]["role"] == "assistant":
        turns.insert(0, {"role": "user", "content": [{"text": "(conversation continues)"}]})
    return turns, system


def usage_from(raw: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(raw.get("inputTokens", 0)),
        output_tokens=int(raw.get("outputTokens", 0)),
        cache_read_tokens=int(raw.get("cacheReadInputTokens", 0)),
        cache_write_tokens=int(raw.get("cacheWriteInputTokens", 0)),
    )


class BedrockProvider:
    name = "aws.bedrock"

    def __init__(
        self,
        client: Any,
        pricing: PricingTable,
        *,
        embedding_dimensions: int = 1024,
        max_concurrency: int = 64,
    ) -> None:
        self.client = client
        self.pricing = pricing
        self.embedding_dimensions = embedding_dimensions
        self._pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="bedrock")

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        ctx = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: ctx.run(fn, *args, **kwargs))

    def _model_id(self, model: str) -> str:
        price = self.pricing.get(model)
        return price.bedrock_id if price else model

    def converse_request(self, request: ChatRequest) -> dict[str, Any]:
        messages, system = converse_messages(request.messages)
        system += bedrock_tools.extra_system(request)
        params: dict[str, Any] = {"modelId": self._model_id(request.model), "messages": messages}
        if system:
            params["system"] = system
        if (tools := bedrock_tools.tool_config(request)) is not None:
            params["toolConfig"] = tools
        if (output := bedrock_tools.output_config(request)) is not None:
            params["outputConfig"] = output
        inference: dict[str, Any] = {}
        if request.max_tokens is not None:
            inference["maxTokens"] = request.max_tokens
        if request.temperature is not None:
            # Claude on Bedrock takes 0..1; OpenAI clients send 0..2.
            inference["temperature"] = min(1.0, request.temperature)
        if inference:
            params["inferenceConfig"] = inference
        return params

    async def chat(self, request: ChatRequest) -> ChatResult:
        params = self.converse_request(request)
        try:
            response = await self._run(self.client.converse, **params)
        except (ClientError, BotoCoreError) as exc:
            raise map_error(exc) from exc
        content = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in content)
        request_id = response.get("ResponseMetadata", {}).get("RequestId") or uuid.uuid4().hex
        return ChatResult(
            text=text,
            finish_reason=FINISH_REASONS.get(response.get("stopReason", ""), "stop"),
            usage=usage_from(response.get("usage", {})),
            response_model=request.model,
            response_id=f"chatcmpl-{request_id}",
            tool_calls=bedrock_tools.tool_calls_from(content),
        )

    async def chat_stream(self, request: ChatRequest) -> AsyncGenerator[StreamChunk, None]:
        params = self.converse_request(request)
        try:
            response = await self._run(self.client.converse_stream, **params)
        except (ClientError, BotoCoreError) as exc:
            raise map_error(exc) from exc
        events: Iterator[dict[str, Any]] = iter(response["stream"])
        finish: str | None = None
        tool_uses = bedrock_tools.StreamedToolUse()
        try:
            while True:
                try:
                    event = await self._run(next, events, None)
                except (ClientError, BotoCoreError) as exc:
                    raise map_error(exc) from exc
                if event is None:
                    break
                if "contentBlockStart" in event:
                    tool_uses.start(event["contentBlockStart"])
                elif "contentBlockDelta" in event:
                    if tool_uses.delta(event["contentBlockDelta"]):
                        continue
                    text = event["contentBlockDelta"].get("delta", {}).get("text")
                    if text:
                        yield StreamChunk(text=text)
                elif "contentBlockStop" in event:
                    if (call := tool_uses.stop(event["contentBlockStop"])) is not None:
                        yield StreamChunk(text="", tool_calls=(call,))
                elif "messageStop" in event:
                    finish = FINISH_REASONS.get(event["messageStop"].get("stopReason", ""), "stop")
                elif "metadata" in event:
                    yield StreamChunk(
                        text="",
                        finish_reason=finish or "stop",
                        usage=usage_from(event["metadata"].get("usage", {})),
                    )
                    finish = None
        finally:
            close = getattr(response["stream"], "close", None)
            if close is not None:
                close()
        if finish is not None:
            # A stream that ended without its metadata event: finish it without usage.
            yield StreamChunk(text="", finish_reason=finish)

    def titan_body(self, text: str, dimensions: int | None) -> str:
        dims = dimensions or self.embedding_dimensions
        if dims not in TITAN_DIMENSIONS:
            raise ErrorType.INVALID_REQUEST.error(
                f"Titan Text Embeddings V2 supports dimensions {TITAN_DIMENSIONS}, not {dims}.",
            )
        return json.dumps({"inputText": text, "dimensions": dims, "normalize": True})

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        model_id = self._model_id(request.model)
        vectors: list[tuple[float, ...]] = []
        tokens = 0
        for text in request.inputs:
            body = self.titan_body(text, request.dimensions)
            try:
                response = await self._run(
                    self.client.invoke_model,
                    modelId=model_id,
                    body=body,
                    contentType="application/json",
                    accept="application/json",
                )
                payload = json.loads(await self._run(response["body"].read))
            except (ClientError, BotoCoreError) as exc:
                raise map_error(exc) from exc
            vectors.append(tuple(float(v) for v in payload["embedding"]))
            tokens += int(payload.get("inputTextTokenCount", 0))
        return EmbeddingResult(
            vectors=tuple(vectors), usage=Usage(tokens, 0), response_model=request.model
        )
