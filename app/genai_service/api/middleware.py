"""Pure ASGI middleware (no per-request task or body copy, so the hot path stays cheap).

CallerMiddleware: request id (X-Request-ID honoured or generated, echoed), tenant and user
(X-User-ID, pseudonymised: genai_service.pseudonym).
BodyLimitMiddleware: MAX_BODY_BYTES, declared or streamed.
HeaderLimitMiddleware: at most MAX_HEADER_COUNT headers (their total size is capped by the
server, genai_service.serve).
UnhandledErrorMiddleware: the last line for exceptions nobody handled.
"""

from __future__ import annotations

import re

import structlog
from fastapi import HTTPException
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from genai_service.api import request_ids
from genai_service.api.errors import (
    APIError,
    reject,
    route_template,
    unhandled_body,
)
from genai_service.asgi import HTTPMiddleware
from genai_service.pseudonym import user_pseudonym
from lab_telemetry.context import Caller, reset_caller, set_caller
from lab_telemetry.instruments import instrument

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


class CallerMiddleware(HTTPMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A generated id is SafeText (log redaction need not scan it); a caller's is scanned.
        request_id, replaced = request_ids.choose(_header(scope, b"x-request-id"))
        caller = Caller(
            request_id=request_id,
            tenant_id=safe_id(_header(scope, b"x-tenant-id")) or "anonymous",
            # Pseudonymised on arrival: the raw id is never held, logged or exported.
            user_id=user_pseudonym(_header(scope, b"x-user-id")),
        )
        token = set_caller(caller)
        id_headers = [(b"x-request-id", request_id.encode())]
        if replaced:
            id_headers.append((request_ids.REPLACED_HEADER, request_ids.REPLACED_VALUE))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *id_headers]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_caller(token)


def _too_large(limit: int) -> str:
    return f"Request body too large: the limit is {limit} bytes (MAX_BODY_BYTES)."


class BodyLimitMiddleware(HTTPMiddleware):
    """413 for bodies above the limit: by Content-Length up front, or counted as they arrive."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            too_large = APIError(413, _too_large(limit), reason="body_too_large")
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
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, limited_receive, send)


class HeaderLimitMiddleware(HTTPMiddleware):
    """431 for a request with more headers than the limit, before anything reads them."""

    def __init__(self, app: ASGIApp, max_headers: int) -> None:
        super().__init__(app)
        self.max_headers = max_headers

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if len(scope.get("headers", ())) > self.max_headers:
            message = f"Too many request headers: the limit is {self.max_headers}."
            too_many = APIError(431, message, reason="too_many_headers")
            await reject(scope, too_many)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class UnhandledErrorMiddleware(HTTPMiddleware):
    """The last line: an exception nobody handled is logged with its traceback, counted,
    recorded on the server span, and answered with an OpenAI-shaped 500 (no traceback)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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
