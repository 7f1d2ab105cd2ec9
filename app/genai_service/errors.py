"""The service's error vocabulary, below every layer that raises or answers an error.

- ErrorType: the provider failures a real LLM backend produces (the closed vocabulary of
  error.type on spans and metrics), each with the HTTP status the gateway answers, the OpenAI
  error code and a default message. One table for the simulator, the fault injector, the
  Bedrock error mapping, the settings and the API, so an injected throttle is
  indistinguishable from a real one.
- ProviderError: such a failure, raised by providers.
- APIError: a 4xx the API answers on purpose (raised by the guardrails and the routes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

DEFAULT_RETRY_AFTER_S = 1.0


class ErrorType(StrEnum):
    # A gateway answers for its upstream: a failed model is 502, not a 500 of its own.
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"
    INVALID_REQUEST = "invalid_request"

    @property
    def status(self) -> int:
        return _STATUS[self]

    @property
    def code(self) -> str:
        """The OpenAI error `code` the API answers with."""
        return _CODE[self]

    @property
    def message(self) -> str:
        return _MESSAGE[self]

    def error(
        self, message: str | None = None, *, retry_after_s: float | None = None
    ) -> ProviderError:
        if self is ErrorType.THROTTLED and retry_after_s is None:
            retry_after_s = DEFAULT_RETRY_AFTER_S
        return ProviderError(
            error_type=self.value,
            http_status=self.status,
            message=message or self.message,
            retry_after_s=retry_after_s,
        )


_STATUS = {
    ErrorType.THROTTLED: 429,
    ErrorType.TIMEOUT: 504,
    ErrorType.UNAVAILABLE: 503,
    ErrorType.INTERNAL: 502,
    ErrorType.INVALID_REQUEST: 400,
}
_CODE = {
    ErrorType.THROTTLED: "rate_limit_exceeded",
    ErrorType.TIMEOUT: "timeout",
    ErrorType.UNAVAILABLE: "service_unavailable",
    ErrorType.INTERNAL: "upstream_error",
    ErrorType.INVALID_REQUEST: "invalid_request",
}
_MESSAGE = {
    ErrorType.THROTTLED: "Too many requests, please wait before trying again.",
    ErrorType.TIMEOUT: "The model did not respond in time.",
    ErrorType.UNAVAILABLE: "The model is temporarily unavailable.",
    ErrorType.INTERNAL: "The model returned an internal error.",
    ErrorType.INVALID_REQUEST: "The model refused the request as invalid.",
}

#: What the simulator's background error rates and the fault injector can produce (the admin
#: API's and the scenarios' `error_type`).
InjectableError = Literal["throttled", "timeout", "unavailable", "internal"]
INJECTABLE_ERRORS: tuple[ErrorType, ...] = tuple(ErrorType(v) for v in get_args(InjectableError))


def error_code(error_type: str) -> str:
    """The OpenAI code for an error.type; a type outside the vocabulary is its own code."""
    try:
        return ErrorType(error_type).code
    except ValueError:
        return error_type


@dataclass
class ProviderError(Exception):
    """A failure a real provider produces, already mapped to what the API answers.

    error_type is an ErrorType value (throttled, timeout, unavailable, internal,
    invalid_request): the low-cardinality name used for error.type on spans and metrics.
    """

    error_type: str
    http_status: int
    message: str
    retry_after_s: float | None = None
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


class APIError(Exception):
    """A 4xx the API answers on purpose; `reason` is the reject.reason metric attribute."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.param = param
        self.code = code or reason
        self.error_type = error_type
        self.headers = headers
