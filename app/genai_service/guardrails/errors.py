"""Refusals in the OpenAI error shape: {"error": {"message", "type", "param", "code"}}.

Clients (the official openai library included) read `type` and `code` to decide what to do, so
these follow OpenAI's own values: 401 invalid_api_key, 429 rate_limit_exceeded /
insufficient_quota, and 400 invalid_request_error for a blocked prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One message for every authentication failure: a missing key, a malformed header and a key
# that matches nothing must be indistinguishable, or the answer says which tenants exist.
AUTH_MESSAGE = (
    "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'; "
    "ask the lab operator for a key."
)
WWW_AUTHENTICATE = 'Bearer realm="genai-lab"'


@dataclass
class GuardrailRejection(Exception):
    status: int
    message: str
    type: str
    code: str
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def unauthorized() -> GuardrailRejection:
    return GuardrailRejection(
        status=401,
        message=AUTH_MESSAGE,
        type="invalid_request_error",
        code="invalid_api_key",
        headers={"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def too_many_requests(
    message: str, retry_after_s: int, *, budget: bool, retryable: bool
) -> GuardrailRejection:
    headers = {"Retry-After": str(retry_after_s)}
    if not retryable:
        # Read by the openai client: waiting will not help, so it should not retry.
        headers["x-should-retry"] = "false"
    return GuardrailRejection(
        status=429,
        message=message,
        type="insufficient_quota" if budget else "rate_limit_error",
        code="insufficient_quota" if budget else "rate_limit_exceeded",
        headers=headers,
    )


def injection_blocked() -> GuardrailRejection:
    return GuardrailRejection(
        status=400,
        message=(
            "The request was blocked by the prompt-injection guardrail. If this is a mistake, "
            "rephrase the request or contact the lab operator with the request id."
        ),
        type="invalid_request_error",
        code="prompt_injection_detected",
        param="messages",
    )
