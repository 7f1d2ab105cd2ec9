"""Per-request caller attribution, readable anywhere in the request without passing it along.

Set once by the HTTP middleware; read by the orchestrator, the telemetry seam (tenant on cost
metrics) and the log processors (request_id on every record).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    request_id: str
    tenant_id: str = "anonymous"
    user_id: str | None = None


_current: ContextVar[Caller | None] = ContextVar("genai_caller", default=None)


def current_caller() -> Caller | None:
    return _current.get()


def set_caller(caller: Caller) -> object:
    """Returns a token for reset_caller()."""
    return _current.set(caller)


def reset_caller(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
