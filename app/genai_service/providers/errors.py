"""The provider failures a real LLM backend produces, and the HTTP answer each one gets.

One table for the simulator, the fault injector and the Bedrock error mapping, so an injected
throttle is indistinguishable from a real one at the API.
"""

from __future__ import annotations

from genai_service.providers.base import ProviderError

# A gateway answers for its upstream: a failed model is 502, not a 500 of its own.
STATUS_BY_TYPE: dict[str, int] = {
    "throttled": 429,
    "timeout": 504,
    "unavailable": 503,
    "internal": 502,
    "invalid_request": 400,
}

DEFAULT_RETRY_AFTER_S = 1.0


def provider_error(
    error_type: str, message: str, *, retry_after_s: float | None = None
) -> ProviderError:
    if error_type not in STATUS_BY_TYPE:
        raise ValueError(f"unknown provider error type {error_type!r}")
    if error_type == "throttled" and retry_after_s is None:
        retry_after_s = DEFAULT_RETRY_AFTER_S
    return ProviderError(
        error_type=error_type,
        http_status=STATUS_BY_TYPE[error_type],
        message=message,
        retry_after_s=retry_after_s,
    )
