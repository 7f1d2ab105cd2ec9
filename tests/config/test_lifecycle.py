"""Object-store lifecycle rules under Loki: the lab's MinIO bucket and the AWS S3 mapping.

Both files are checked against botocore's model of S3's PutBucketLifecycleConfiguration (the
real request shape, validated by the AWS SDK's own validator), then against what Loki needs:
nothing expires before Loki's longest retention, and nothing moves to a storage class Loki
cannot read without a restore. minio-init's script is run with a stand-in `mc` that records
what it was asked to do.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from tests.conftest import ROOT

pytestmark = pytest.mark.config

MINIO_LIFECYCLE = ROOT / "minio" / "lifecycle" / "loki-data.json"
AWS_LIFECYCLE = ROOT / "loki" / "aws" / "s3-lifecycle.json"
BUCKET_SCRIPT = ROOT / "minio" / "create-buckets.sh"
DAY_S = 86400
# Classes Loki reads with a plain GET. GLACIER (Flexible Retrieval) and DEEP_ARCHIVE need a
# restore first, so chunks there would fail queries.
READABLE_CLASSES = {"STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"}
# What MinIO's lifecycle understands (minio internal/bucket/lifecycle/rule.go); anything else,
# AbortIncompleteMultipartUpload included, is dropped without an error.
MINIO_ACTIONS = {
    "Expiration",
    "Transition",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionTransition",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def longest_loki_retention_days() -> int:
    limits = yaml.safe_load((ROOT / "loki" / "loki.yaml").read_text())["limits_config"]
    hours = [int(re.fullmatch(r"(\d+)h", r["period"]).group(1)) for r in limits["retention_stream"]]
    return max(hours) // 24


@pytest.mark.parametrize("path", [MINIO_LIFECYCLE, AWS_LIFECYCLE], ids=["minio", "aws"])
def test_lifecycle_is_a_valid_s3_request(path: Path) -> None:
    model = botocore.session.get_session().get_service_model("s3")
    shape = model.operation_model("PutBucketLifecycleConfiguration").input_shape
    report = ParamValidator().validate(
        {"Bucket": "loki-data", "LifecycleConfiguration": load(path)}, shape
    )
    assert not report.has_errors(), report.generate_report()


def test_the_validator_can_fail() -> None:
    model = botocore.session.get_session().get_service_model("s3")
    shape = model.operation_model("PutBucketLifecycleConfiguration").input_shape
    bad = {"Rules": [{"ID": "x", "Status": "On", "Expiration": {"Days": "ten"}}]}
    report = ParamValidator().validate({"Bucket": "b", "LifecycleConfiguration": bad}, shape)
    assert report.has_errors()


@pytest.mark.parametrize("path", [MINIO_LIFECYCLE, AWS_LIFECYCLE], ids=["minio", "aws"])
def test_nothing_expires_before_loki_is_done_with_it(path: Path) -> None:
    longest = longest_loki_retention_days()
    expiries = [r["Expiration"]["Days"] for r in load(path)["Rules"] if "Expiration" in r]
    assert expiries, "no backstop expiry"
    # Loki's compactor deletes first (and waits retention_delete_delay); the bucket rule only
    # catches what is left behind.
    assert all(days > longest for days in expiries)
    assert all(r["Status"] == "Enabled" for r in load(path)["Rules"])


def test_minio_rules_use_only_actions_minio_applies() -> None:
    for rule in load(MINIO_LIFECYCLE)["Rules"]:
        actions = set(rule) - {"ID", "Status", "Filter", "Prefix"}
        assert actions and actions <= MINIO_ACTIONS, rule["ID"]


def test_aws_tiers_go_colder_with_age_and_stay_readable() -> None:
    rules = load(AWS_LIFECYCLE)["Rules"]
    transitions = [t for r in rules for t in r.get("Transitions", [])]
    days = [t["Days"] for t in transitions]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert {t["StorageClass"] for t in transitions} <= READABLE_CLASSES
    # S3 refuses a move to STANDARD_IA before 30 days.
    assert all(t["Days"] >= 30 for t in transitions if t["StorageClass"] == "STANDARD_IA")
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)


def test_minio_init_applies_the_lifecycle_to_its_bucket_only(tmp_path: Path) -> None:
    log = tmp_path / "mc.log"
    fake = tmp_path / "bin" / "mc"
    fake.parent.mkdir()
    # Records each call and what came on stdin, as the real mc would have read it.
    fake.write_text(
        '#!/bin/sh\necho "mc $*" >>"$MC_LOG"\n'
        'if [ "$1 $2 $3" = "ilm rule import" ]; then cat >>"$MC_LOG"; fi\n'
    )
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}:{os.environ['PATH']}",
        "MC_LOG": str(log),
        "MINIO_ROOT_USER": "u",
        "MINIO_ROOT_PASSWORD": "p",
        "MINIO_BUCKETS": "loki-data tempo-data",
        "MINIO_LIFECYCLE_DIR": str(MINIO_LIFECYCLE.parent),
    }
    out = subprocess.run(["sh", str(BUCKET_SCRIPT)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    calls = log.read_text()
    assert "mc mb --ignore-existing lab/loki-data" in calls
    assert "mc mb --ignore-existing lab/tempo-data" in calls
    assert "mc ilm rule import lab/loki-data" in calls
    assert "mc ilm rule import lab/tempo-data" not in calls
    assert '"loki-backstop-expiry"' in calls  # the file's content reached mc


def test_minio_init_mounts_the_lifecycle_directory() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./minio/lifecycle:/minio/lifecycle:ro" in compose["services"]["minio-init"]["volumes"]
