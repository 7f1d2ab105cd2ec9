"""Pure ASGI middleware (no per-request task or body copy, so the hot path stays cheap).

CallerMiddleware: request id (X-Request-ID honoured or generated, echoed), tenant and user
(X-User-ID, pseudonymised: genai_service.pseudonym).
BodyLimitMiddleware: MAX_BODY_BYTES, declared or streamed.
UnhandledErrorMiddleware: the last line for exceptions nobody handled.
"""

from __future__ import annotations

import re
import uuid

import structlog
from fastapi import HTTPException
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genai_service.api.errors import (
    APIError,
    reject,
    route_template,
    unhandled_body,
)
from genai_service.context import Caller, reset_caller, set_caller
from genai_service.pseudonym import user_pseudonym
from genai_service.redaction import SafeText
from genai_service.telemetry.instruments import instrument

log = structlog.get_logger()

# Ids from outside end up in logs: accept only short, plain tokens, else make a new one.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def safe_id(value: str | None) -> str | None:
    if value and _SAFE_ID.fullmatch(value):
        return value
    return None


class CallerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A generated id holds no PII, so log redaction need not scan it (SafeText); a
        # caller's X-Request-ID is scanned like any other input.
        request_id = safe_id(_header(scope, b"x-request-id")) or SafeText(uuid.uuid4().hex)
        caller = Caller(
            request_id=request_id,
            tenant_id=safe_id(_header(scope, b"x-tenant-id")) or "anonymous",
            # Pseudonymised on arrival: the raw id is never held, logged or exported.
            user_id=user_pseudonym(_header(scope, b"x-user-id")),
        )
        token = set_caller(caller)
        rid = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_caller(token)


class BodyLimitMiddleware:
    """413 for bodies above the limit: by Content-Length up front, or counted as they arrive."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            too_large = APIError(
                413,
                f"Request body too large: the limit is {limit} bytes (MAX_BODY_BYTES).",
                reason="body_too_large",
            )
            await reject(scope, too_large)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            # Chunked bodies declare no length. The HTTPException surfaces where the route
            # reads the body, and the API's handler answers it (413, counted, logged).
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(
                        413, f"Request body too large: the limit is {limit} bytes (MAX_BODY_BYTES)."
                    )
            return message

        await self.app(scope, limited_receive, send)


class UnhandledErrorMiddleware:
    """The last line: an exception nobody handled is logged with its traceback, counted,
    recorded on the server span, and answered with an OpenAI-shaped 500 (no traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            route = route_template(scope)
            span = trace.get_current_span()
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            instrument("genai_lab.exceptions.unhandled").add(
                1, {"http.route": route, "exception.type": type(exc).__qualname__}
            )
            log.exception("unhandled exception", http_route=route, response_started=started)
            if started:
                # Mid-stream: the status line is gone; ending the response is all that is left.
                return
            body = unhandled_body()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
