"""Who may call the operator routes: /admin (the admin token) and /crash (admin token or an
API key, when REQUIRE_API_KEY is on).

Every refusal is a security event of type auth_failed, counted with the API-key failures, so
AuthFailureSpike sees someone guessing the admin token as it sees someone guessing keys.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from genai_service.errors import APIError
from genai_service.guardrails.auth import bearer_token
from genai_service.guardrails.events import UNKNOWN_TENANT, EventType, SecurityEvent
from genai_service.guardrails.guard import Guardrails
from lab_telemetry.context import current_caller


def _refuse(request: Request, reason: str, error: APIError) -> APIError:
    guard: Guardrails = request.app.state.guardrails
    caller = current_caller()
    guard.telemetry.emit(
        SecurityEvent(
            EventType.AUTH_FAILED,
            tenant_id=UNKNOWN_TENANT,
            request_id=caller.request_id if caller else "",
            reason=reason,
        )
    )
    return error


def _is_admin(token: str | None, request: Request) -> bool:
    expected: str | None = request.app.state.settings.admin_token
    if not token or not expected:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


def check_admin(request: Request) -> None:
    """The /admin rule: `Authorization: Bearer $ADMIN_TOKEN`, or 401/403 and an event."""
    if request.app.state.settings.admin_token is None:
        raise APIError(
            403,
            "The admin API is disabled: set ADMIN_TOKEN in the service's environment to enable it.",
            reason="admin_disabled",
            error_type="permission_error",
        )
    header = request.headers.get("authorization")
    token = bearer_token(header)
    if token is None:
        raise _refuse(
            request,
            "admin_token_missing" if not header else "admin_token_malformed",
            APIError(
                401,
                "Missing admin token: send 'Authorization: Bearer <ADMIN_TOKEN>'.",
                reason="unauthorized",
                error_type="authentication_error",
                headers={"WWW-Authenticate": "Bearer"},
            ),
        )
    if not _is_admin(token, request):
        raise _refuse(
            request,
            "admin_token_invalid",
            APIError(
                403,
                "The admin token is not valid.",
                reason="forbidden",
                error_type="permission_error",
            ),
        )


def check_operator(request: Request) -> None:
    """The /crash rule: open while keys are optional (`make run`); with REQUIRE_API_KEY on,
    the admin token or any valid API key (Locust and the demo send LAB_API_KEY)."""
    guard: Guardrails = request.app.state.guardrails
    if not guard.settings.require_api_key:
        return
    header = request.headers.get("authorization")
    token = bearer_token(header)
    if _is_admin(token, request) or guard.keys.lookup(token) is not None:
        return
    reason = "missing" if not header else ("malformed" if token is None else "invalid")
    raise _refuse(
        request,
        reason,
        APIError(
            401,
            "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'.",
            reason="unauthorized",
            code="invalid_api_key",
            headers={"WWW-Authenticate": 'Bearer realm="genai-lab"'},
        ),
    )
