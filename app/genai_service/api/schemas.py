"""Request bodies, in the OpenAI API's shapes (the subset this service honours).

Unknown fields are ignored, as OpenAI-compatible gateways do, so newer clients keep working.
Responses are built as plain dicts in the routes (cheaper than validating them on the hot
path); their shapes are documented in the OpenAPI document through the models at the end.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator
from pydantic.json_schema import SkipJsonSchema

from genai_service.errors import InjectableError


class RequestPart(BaseModel):
    """A request body or a part of one: fields it does not declare are ignored."""

    model_config = ConfigDict(extra="ignore")


class TextPart(RequestPart):
    type: Literal["text"]
    text: StrictStr


class FunctionCallIn(RequestPart):
    name: StrictStr = Field(min_length=1, max_length=64)
    arguments: StrictStr = Field(max_length=65_536)


class ToolCallIn(RequestPart):
    """A tool call an assistant message made earlier in the conversation."""

    id: StrictStr = Field(min_length=1, max_length=128)
    type: StrictStr = "function"
    function: FunctionCallIn


class FunctionDefinition(RequestPart):
    name: StrictStr
    description: StrictStr | None = Field(default=None, max_length=4096)
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDefinition(RequestPart):
    # Other tool types (custom, web search, ...) are refused with a 400 in api/tool_format.py.
    type: StrictStr
    function: FunctionDefinition | None = None


class NamedToolChoice(RequestPart):
    type: StrictStr
    function: dict[str, Any] | None = None


class JsonSchemaFormat(RequestPart):
    name: StrictStr = Field(min_length=1, max_length=64)
    description: StrictStr | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatIn(RequestPart):
    type: StrictStr
    json_schema: JsonSchemaFormat | None = None


class ChatMessage(RequestPart):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: StrictStr | Annotated[list[TextPart], Field(min_length=1)] | None = None
    name: StrictStr | None = None
    tool_call_id: StrictStr | None = Field(default=None, max_length=128)
    tool_calls: Annotated[list[ToolCallIn], Field(max_length=128)] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content)


class StreamOptions(RequestPart):
    include_usage: bool = False


class ChatCompletionRequest(RequestPart):
    model: StrictStr = Field(min_length=1, examples=["claude-haiku-4-5"])
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    n: int | None = Field(default=None, ge=1, le=1, description="Only n=1 is supported.")
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    seed: int | None = None
    stop: StrictStr | list[StrictStr] | None = None
    user: StrictStr | None = None
    template: StrictStr | None = Field(
        default=None, description="Name of a prompt template (extension; see app/README.md)."
    )
    template_variables: dict[str, StrictStr] | None = None
    tools: Annotated[list[ToolDefinition], Field(max_length=128)] | None = None
    tool_choice: StrictStr | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormatIn | None = None
    # OpenAI parameters this service does not honour. Declared so that a request using them
    # gets a 400 naming the parameter (api/tool_format.py) instead of being silently ignored;
    # left out of the OpenAPI document, which describes what the service does.
    functions: SkipJsonSchema[Any] = None
    function_call: SkipJsonSchema[Any] = None
    logprobs: SkipJsonSchema[Any] = None
    top_logprobs: SkipJsonSchema[Any] = None
    logit_bias: SkipJsonSchema[Any] = None
    audio: SkipJsonSchema[Any] = None
    modalities: SkipJsonSchema[Any] = None
    prediction: SkipJsonSchema[Any] = None
    web_search_options: SkipJsonSchema[Any] = None

    @field_validator("messages")
    @classmethod
    def _some_content(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.text().strip() or m.tool_calls for m in messages):
            raise ValueError("at least one message must have non-empty content")
        return messages

    def output_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class EmbeddingRequestBody(RequestPart):
    model: StrictStr = Field(min_length=1, examples=["titan-embed-text-v2"])
    input: StrictStr | Annotated[list[StrictStr], Field(min_length=1, max_length=2048)]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1, le=4096)
    user: StrictStr | None = None

    @field_validator("input")
    @classmethod
    def _non_empty(cls, value: str | list[str]) -> str | list[str]:
        items = [value] if isinstance(value, str) else value
        if any(not s.strip() for s in items):
            raise ValueError("input must not contain empty strings")
        return value


class FaultsBody(BaseModel):
    """PUT /admin/faults replaces the whole fault set; omitted fields take their defaults."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(default=0.0, ge=0, le=600_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_type: InjectableError = "internal"
    outage: bool = False
    token_inflation: float = Field(default=1.0, ge=1, le=1000)


# -- response shapes, for the OpenAPI document ---------------------------------------------
class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, int] | None = None


class FunctionCallOut(BaseModel):
    name: str
    arguments: str


class ToolCallOut(BaseModel):
    id: str
    type: Literal["function"]
    function: FunctionCallOut


class ChoiceMessage(BaseModel):
    role: Literal["assistant"]
    content: str | None
    tool_calls: list[ToolCallOut] | None = None


class Choice(BaseModel):
    index: int
    message: ChoiceMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: UsageOut


class EmbeddingItem(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str


class EmbeddingList(BaseModel):
    object: Literal["list"]
    data: list[EmbeddingItem]
    model: str
    usage: dict[str, int]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad input"},
    413: {"model": ErrorResponse, "description": "Body larger than MAX_BODY_BYTES"},
    429: {"model": ErrorResponse, "description": "Provider throttled (Retry-After set)"},
    502: {"model": ErrorResponse, "description": "Provider failed"},
    503: {"model": ErrorResponse, "description": "Provider unavailable"},
    504: {"model": ErrorResponse, "description": "Provider timed out"},
}
