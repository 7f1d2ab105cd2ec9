"""A bedrock-runtime client that never reaches AWS: botocore's Stubber or an HTTP-layer answer
stands in for the service (test_bedrock.py, test_bedrock_tools.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
