"""Liveness, readiness and the deliberate crash used to demonstrate error telemetry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from genai_service.api.admin_auth import check_operator
from genai_service.api.schemas import ErrorResponse
from genai_service.crash import settle_invoice

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, object]:
    """Ready to serve: pricing loaded and a provider built. An injected provider outage does
    not make the service unready, on purpose: the demo shows an outage that health checks miss.
    """
    state = request.app.state
    return {
        "status": "ready",
        "provider": state.provider_name,
        "models": len(state.pricing.models),
    }


@router.get(
    "/crash",
    responses={401: {"model": ErrorResponse}, 500: {"model": ErrorResponse}},
    dependencies=[Depends(check_operator)],
)
async def crash() -> dict[str, str]:
    """Raises an unhandled exception several calls deep: a 500 whose traceback is in the logs
    and on the span, never in the response body."""
    settle_invoice("acme", [])
    return {"status": "unreachable"}
