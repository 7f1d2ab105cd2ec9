"""On AWS the AI-ops Lambda annotates Grafana with aiops's service-account token, read from the
one SSM parameter the aiops task's grafana-token step writes, never with the admin password.

The policies are read as Terraform writes them, each with the documents it sources merged in,
so a statement added to a shared document (aiops_read) counts for every role using it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import hcl

pytestmark = pytest.mark.config

TOKEN = "aws_ssm_parameter.grafana_token"
ADMIN_PASSWORD = 'aws_ssm_parameter.secret["GRAFANA_ADMIN_PASSWORD"]'


def root() -> hcl.Module:
    return hcl.load(hcl.ROOT_MODULE)


def statements(document: str) -> list[dict[str, Any]]:
    """The statements of an aws_iam_policy_document, with those of its sources."""
    body = root().data("aws_iam_policy_document", document)
    out = list(body.get("statement", []))
    for dyn in body.get("dynamic", []):
        out += dyn["statement"]["content"]
    sources = body.get("source_policy_documents", [])
    # A list of documents, or the splat of a counted one (an optional statement).
    for source in [sources] if isinstance(sources, str) else sources:
        m = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.(\w+)(\[\*\])?\.json\}", source)
        assert m, source
        out += statements(m.group(1))
    return out


def touching(sts: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in sts if any(a.startswith(service + ":") for a in s["actions"])]


def _text(st: dict[str, Any]) -> str:
    return repr(st).replace("\\", "")


def test_lambda_environment_names_the_token_parameter_and_no_password() -> None:
    env = root().resource("aws_lambda_function", "aiops")["environment"][0]["variables"]
    assert env["GRAFANA_TOKEN_PARAMETER"] == "${" + TOKEN + ".name}"
    assert not {k for k in env if k.startswith(("GRAFANA_PASSWORD", "GRAFANA_USER"))}
    assert "GRAFANA_ADMIN_PASSWORD" not in repr(env)


def test_lambda_role_reads_only_the_token_parameter() -> None:
    sts = statements("aiops_lambda")
    (ssm,) = touching(sts, "ssm")
    assert ssm["actions"] == ["ssm:GetParameter"]
    assert ssm["resources"] == ["${" + TOKEN + ".arn}"]
    assert not [s["sid"] for s in sts if "GRAFANA_ADMIN_PASSWORD" in _text(s)]


def test_the_grafana_token_step_writes_that_parameter_with_the_lab_key() -> None:
    env = root().locals["grafana_token_env"]
    lambda_env = root().resource("aws_lambda_function", "aiops")["environment"][0]["variables"]
    assert env["GRAFANA_TOKEN_PARAMETER"] == lambda_env["GRAFANA_TOKEN_PARAMETER"]
    param = root().resource("aws_ssm_parameter", "grafana_token")
    assert param["type"] == "SecureString"
    assert env["GRAFANA_TOKEN_KMS_KEY"] == param["key_id"] == "${aws_kms_key.lab.arn}"
    # The step overwrites the value; Terraform must not put its placeholder back.
    assert param["lifecycle"][0]["ignore_changes"] == ["value"]


def test_only_the_aiops_task_role_may_write_the_token_and_only_that_parameter() -> None:
    sts = statements("aiops")
    (put,) = [s for s in sts if "ssm:PutParameter" in s["actions"]]
    assert put["actions"] == ["ssm:PutParameter"] and put["resources"] == ["${" + TOKEN + ".arn}"]
    (encrypt,) = [s for s in touching(sts, "kms") if "kms:Encrypt" in s["actions"]]
    assert encrypt["actions"] == ["kms:Encrypt"]
    (cond,) = encrypt["condition"]
    assert cond["variable"] == "kms:EncryptionContext:PARAMETER_ARN"
    assert cond["values"] == ["${" + TOKEN + ".arn}"]
    others = ("execution", "genai_service", "loki", "grafana", "aiops_lambda")
    for doc in others:
        writes = [s["sid"] for s in statements(doc) if "ssm:PutParameter" in s["actions"]]
        assert not writes, f"{doc} may write SSM parameters: {writes}"


def test_nothing_but_the_grafana_token_step_gets_the_admin_password_in_aiops_task() -> None:
    # The aiops container and the Lambda never hold it; the token step gets it injected.
    assert ADMIN_PASSWORD not in repr(root().locals["aiops_secrets"]).replace("\\", "")
    assert ADMIN_PASSWORD in repr(root().locals["grafana_token_secrets"]).replace("\\", "")
