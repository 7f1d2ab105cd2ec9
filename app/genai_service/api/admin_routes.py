"""The failure-injection admin API: GET, PUT (replace the whole set) and DELETE (back to the
environment defaults) /admin/faults, behind `Authorization: Bearer $ADMIN_TOKEN`."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request

from genai_service.api.admin_auth import check_admin
from genai_service.api.schemas import ErrorResponse, FaultsBody
from genai_service.faults import Faults, FaultState

log = structlog.get_logger()
router = APIRouter(prefix="/admin", tags=["admin"])
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
}


def _authorise(request: Request) -> FaultState:
    check_admin(request)
    state: FaultState = request.app.state.faults
    return state


# A dependency, so the token is checked before the body is validated.
Authorised = Annotated[FaultState, Depends(_authorise)]


@router.get("/faults", responses=_AUTH_ERRORS)
async def get_faults(state: Authorised) -> dict[str, float | str | bool]:
    return state.current.as_dict()


@router.put("/faults", responses=_AUTH_ERRORS)
async def put_faults(body: FaultsBody, state: Authorised) -> dict[str, float | str | bool]:
    faults = state.replace(Faults(**body.model_dump()))
    log.warning("faults replaced", **faults.as_dict())
    return faults.as_dict()


@router.delete("/faults", responses=_AUTH_ERRORS)
async def reset_faults(state: Authorised) -> dict[str, float | str | bool]:
    faults = state.reset()
    log.warning("faults reset to defaults", **faults.as_dict())
    return faults.as_dict()
