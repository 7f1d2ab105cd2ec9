"""A small, realistic bug for GET /crash: a billing path that divides by an empty list's length.

Kept as ordinary business code (three calls deep) so the traceback in logs and traces looks like
one a real service produces, not a bare `raise` in the route.
"""

from __future__ import annotations


def _average_tokens(token_counts: list[int]) -> float:
    return sum(token_counts) / len(token_counts)


def _invoice_line(tenant: str, token_counts: list[int]) -> dict[str, float | str]:
    return {"tenant": tenant, "average_tokens": _average_tokens(token_counts)}


def settle_invoice(tenant: str, token_counts: list[int]) -> dict[str, float | str]:
    return _invoice_line(tenant, token_counts)
