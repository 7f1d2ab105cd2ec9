"""One-shot start-up step: a Grafana service account for aiops's annotations, and its token.

    python -m aiops.grafana_token      (compose service grafana-token, before aiops starts)

Grafana cannot provision service accounts from files (grafana/grafana#82987), so this step
uses the admin password once, through the service-account HTTP API (Grafana docs,
developer-resources/api-reference/http-api/serviceaccount.md), and aiops never holds it:
  1. find the service account by name, or create it with the Editor role. Editor is the
     least basic role that may create annotations in Grafana OSS: organisation-wide ones need
     fixed:annotations:writer, which only Editor gets, and Viewer's "View" on dashboards
     carries annotations:read only; assigning a fixed role alone is Enterprise-only (RBAC role
     assignments). app/aiops/README.md, "Why Editor", has the source references;
  2. create a token and write it to GRAFANA_TOKEN_FILE (mode 0600), on a volume only this
     step and aiops mount. aiops reads it when it publishes (aiops.publish.grafana);
  3. on AWS (GRAFANA_TOKEN_PARAMETER set), also overwrite that SSM SecureString parameter,
     encrypted with GRAFANA_TOKEN_KMS_KEY, for the AI-ops Lambda (aiops.aws_lambda), which
     then needs neither the admin password nor a way to reach this volume;
  4. delete the tokens this step made before (a restart rotates the token). Only after the
     new one is written, so whoever reads the file or the parameter never gets a revoked one.

Environment: GRAFANA_URL, GRAFANA_ADMIN_USER (default admin), GRAFANA_ADMIN_PASSWORD,
GRAFANA_TOKEN_FILE; on AWS GRAFANA_TOKEN_PARAMETER and GRAFANA_TOKEN_KMS_KEY. Exits non-zero,
saying why, when any step fails.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from aiops.files import write_atomic

ACCOUNT = "aiops-annotations"
ROLE = "Editor"
NAME_PREFIX = "aiops-"


def _account_id(client: httpx.Client) -> int:
    r = client.get("/api/serviceaccounts/search", params={"query": ACCOUNT, "perpage": 100})
    r.raise_for_status()
    for account in r.json().get("serviceAccounts") or []:
        if account.get("name") == ACCOUNT:
            return int(account["id"])
    r = client.post(
        "/api/serviceaccounts", json={"name": ACCOUNT, "role": ROLE, "isDisabled": False}
    )
    r.raise_for_status()
    return int(r.json()["id"])


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def ssm_writer(parameter: str, kms_key: str, ssm: Any | None = None) -> Callable[[str], None]:
    """Writes the token to the SSM SecureString parameter the AI-ops Lambda reads."""
    if ssm is None:
        import boto3  # only on AWS: compose never pays for importing it

        ssm = boto3.client("ssm")

    def write(token: str) -> None:
        # KeyId every time: an overwrite without it would re-encrypt with aws/ssm, a key the
        # Lambda's role is not scoped to.
        ssm.put_parameter(
            Name=parameter, Value=token, Type="SecureString", KeyId=kms_key, Overwrite=True
        )

    return write


def provision(
    client: httpx.Client, token_file: Path, also: Callable[[str], None] | None = None
) -> int:
    """Creates (or reuses) the account, rotates its token into token_file (and `also`);
    returns the account's id."""
    account = _account_id(client)
    r = client.get(f"/api/serviceaccounts/{account}/tokens")
    r.raise_for_status()
    old = [t["id"] for t in r.json() if str(t.get("name", "")).startswith(NAME_PREFIX)]
    r = client.post(
        f"/api/serviceaccounts/{account}/tokens",
        json={"name": f"{NAME_PREFIX}{int(time.time())}"},
    )
    r.raise_for_status()
    key = str(r.json()["key"])
    _write_private(token_file, key)
    if also is not None:
        also(key)
    for token_id in old:
        client.delete(f"/api/serviceaccounts/{account}/tokens/{token_id}").raise_for_status()
    return account


def main() -> int:
    url = os.environ.get("GRAFANA_URL", "").rstrip("/")
    password = os.environ.get("GRAFANA_ADMIN_PASSWORD", "")
    token_file = os.environ.get("GRAFANA_TOKEN_FILE", "")
    if not (url and password and token_file):
        print(
            "grafana-token: GRAFANA_URL, GRAFANA_ADMIN_PASSWORD and GRAFANA_TOKEN_FILE are needed",
            file=sys.stderr,
        )
        return 2
    parameter = os.environ.get("GRAFANA_TOKEN_PARAMETER", "").strip()
    kms_key = os.environ.get("GRAFANA_TOKEN_KMS_KEY", "").strip()
    if parameter and not kms_key:
        print("grafana-token: GRAFANA_TOKEN_PARAMETER needs GRAFANA_TOKEN_KMS_KEY", file=sys.stderr)
        return 2
    user = os.environ.get("GRAFANA_ADMIN_USER", "admin")
    try:
        also = ssm_writer(parameter, kms_key) if parameter else None
        with httpx.Client(base_url=url, auth=(user, password), timeout=10) as client:
            account = provision(client, Path(token_file), also)
    except (httpx.HTTPError, KeyError, ValueError, BotoCoreError, ClientError) as exc:
        # Never the response body: it may echo what was sent.
        print(f"grafana-token: failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    where = f" (also in SSM {parameter})" if parameter else ""
    print(
        f"grafana-token: service account {ACCOUNT} (id {account}, role {ROLE}) has a new token"
        + where
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
