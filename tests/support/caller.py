"""Running a block of a test as one caller, as the service's middleware would set it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lab_telemetry.context import Caller, reset_caller, set_caller


@contextmanager
def as_caller(request_id: str, tenant_id: str) -> Iterator[None]:
    token = set_caller(Caller(request_id=request_id, tenant_id=tenant_id))
    try:
        yield
    finally:
        reset_caller(token)
