"""The one tenant-label rule: which tenant names may appear as a metric or span attribute.

Known tenants keep their name: the KNOWN_TENANTS setting plus every tenant an API key is
configured for (the lab's own key is tenant `lab`). Anyone else, and a call with no tenant at
all, is `other`, so a caller cannot grow the number of series by inventing tenant ids. Cost,
prompt, guardrail and security metrics all use this rule, so they agree on every tenant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OTHER = "other"


@dataclass(frozen=True)
class TenantLabels:
    known: frozenset[str]

    @classmethod
    def of(cls, *groups: Iterable[str]) -> TenantLabels:
        return cls(frozenset(t for group in groups for t in group))

    def __call__(self, tenant_id: str | None) -> str:
        if tenant_id is not None and tenant_id in self.known:
            return tenant_id
        return OTHER
