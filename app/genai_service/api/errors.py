"""Every error the API returns, in OpenAI's shape: {"error": {message, type, param, code}}.

Bad input is a 4xx that is logged and counted (genai_lab.requests.rejected, by reason), never a
500. Provider failures keep the status the provider's failure maps to. Anything else is an
unhandled exception: a 500 with a request id, the traceback in the logs and never in the body.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from genai_service.call_record import note_rejection
from genai_service.errors import APIError, ProviderError, error_code
from lab_telemetry.context import current_caller
from lab_telemetry.instruments import instrument
from lab_telemetry.redaction import redact_tokens

log = structlog.get_logger()

_STATUS_REASONS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def error_body(
    message: str, error_type: str, param: str | None = None, code: str | None = None
) -> bytes:
    # Messages quote what the caller sent (a model name, a template, a path); whatever of it
    # redaction recognises is not echoed back, to the caller's proxies and logs or to ours.
    message = redact_tokens(message)
    return json.dumps(
        {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    ).encode()


def error_response(
    status: int,
    message: str,
    error_type: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(message, error_type, param, code),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def route_template(scope: Scope) -> str:
    """The matched route's template (bounded), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Only reached before routing (e.g. a body refused by its Content-Length): match by hand
    # against the templates create_app() recorded.
    app = scope.get("app")
    templates = getattr(getattr(app, "state", None), "route_templates", ())
    path = scope.get("path", "")
    for regex, template in templates:
        if regex.match(path):
            return str(template)
    return "unmatched"


def count_rejection(route: str, reason: str) -> None:
    instrument("genai_lab.requests.rejected").add(1, {"http.route": route, "reject.reason": reason})


def reject(scope: Scope, exc: APIError) -> Response:
    route = route_template(scope)
    count_rejection(route, exc.reason)
    note_rejection(exc.reason)
    log.warning(
        "request rejected",
        http_route=route,
        status=exc.status,
        reject_reason=exc.reason,
        param=exc.param,
        detail=redact_tokens(exc.message),
    )
    return error_response(
        exc.status,
        exc.message,
        exc.error_type,
        param=exc.param,
        code=exc.code,
        headers=exc.headers,
    )


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def validation_error(exc: RequestValidationError) -> APIError:
    errors = exc.errors()
    first = errors[0] if errors else {"msg": "invalid request", "loc": (), "type": "value_error"}
    if first.get("type") == "json_invalid":
        return APIError(
            400,
            "We could not parse the JSON body of your request. Send valid JSON with "
            "Content-Type: application/json.",
            reason="invalid_json",
        )
    loc = tuple(first.get("loc", ()))
    param = _param(loc)
    if param is None and first.get("type") == "missing":
        return APIError(400, "The request body is missing or empty.", reason="validation")
    msg = str(first.get("msg", "invalid value"))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    where = f"'{param}'" if param else "the request body"
    return APIError(
        400, f"Invalid value for {where}: {msg}{more}", reason="validation", param=param
    )


def provider_failure(request: Request, exc: ProviderError) -> Response:
    headers = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    log.warning(
        "provider call failed",
        http_route=route_template(request.scope),
        status=exc.http_status,
        error_type=exc.error_type,
        detail=exc.message,
    )
    return error_response(
        exc.http_status,
        exc.message,
        exc.error_type,
        code=error_code(exc.error_type),
        headers=headers,
    )


def unhandled_body() -> bytes:
    caller = current_caller()
    ref = f" (request id {caller.request_id})" if caller else ""
    return error_body(
        f"The server had an error while processing your request{ref}.", "server_error"
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> Response:
        return reject(request.scope, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return reject(request.scope, validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        reason = _STATUS_REASONS.get(exc.status_code, "bad_request")
        detail = exc.detail if isinstance(exc.detail, str) else "bad request"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"Unknown path {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        return reject(
            request.scope, APIError(exc.status_code, detail, reason=reason, headers=headers)
        )

    @app.exception_handler(ProviderError)
    async def _provider(request: Request, exc: ProviderError) -> Response:
        return provider_failure(request, exc)
