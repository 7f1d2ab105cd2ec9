"""The one tenant-label rule."""

from __future__ import annotations

import pytest

from genai_service.tenants import TenantLabels

pytestmark = pytest.mark.unit


def test_tenant_label_is_bounded() -> None:
    label = TenantLabels.of(("acme", "globex"), ["lab"])
    assert label("acme") == "acme"
    assert label("lab") == "lab"
    assert label("evil-tenant-123") == "other"
    assert label(None) == "other"
