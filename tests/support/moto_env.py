"""The environment moto-backed AWS tests run in: fake credentials, one region, no metadata."""

from __future__ import annotations

import pytest


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch, region: str = "us-east-1") -> None:
    """Credentials moto accepts and no real AWS would; nothing reaches the instance metadata."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
