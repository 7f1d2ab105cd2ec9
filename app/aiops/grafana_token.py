"""One-shot start-up step: a Grafana service account for aiops's annotations, and its token.

    python -m aiops.grafana_token      (compose service grafana-token, before aiops starts)

Grafana cannot provision service accounts from files (grafana/grafana#82987), so this step
uses the admin password once, through the service-account HTTP API (Grafana docs,
developer-resources/api-reference/http-api/serviceaccount.md), and aiops never holds it:
  1. find the service account by name, or create it with the Editor role. Editor is the
     least basic role that may create annotations in Grafana OSS; fixed roles such as
     annotation writer can be assigned only in Grafana Enterprise (RBAC role assignments);
  2. delete the tokens this step made before (a restart rotates the token);
  3. create a token and write it to GRAFANA_TOKEN_FILE (mode 0600), on a volume only this
     step and aiops mount. aiops reads it when it publishes (aiops.publish.grafana).

Environment: GRAFANA_URL, GRAFANA_ADMIN_USER (default admin), GRAFANA_ADMIN_PASSWORD,
GRAFANA_TOKEN_FILE. Exits non-zero, saying why, when any step fails.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx

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


def provision(client: httpx.Client, token_file: Path) -> int:
    """Creates (or reuses) the account, rotates its token into token_file; returns its id."""
    account = _account_id(client)
    r = client.get(f"/api/serviceaccounts/{account}/tokens")
    r.raise_for_status()
    for token in r.json():
        if str(token.get("name", "")).startswith(NAME_PREFIX):
            client.delete(f"/api/serviceaccounts/{account}/tokens/{token['id']}").raise_for_status()
    r = client.post(
        f"/api/serviceaccounts/{account}/tokens",
        json={"name": f"{NAME_PREFIX}{int(time.time())}"},
    )
    r.raise_for_status()
    _write_private(token_file, str(r.json()["key"]))
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
    user = os.environ.get("GRAFANA_ADMIN_USER", "admin")
    try:
        with httpx.Client(base_url=url, auth=(user, password), timeout=10) as client:
            account = provision(client, Path(token_file))
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        # Never the response body: it may echo what was sent.
        print(f"grafana-token: failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    print(f"grafana-token: service account {ACCOUNT} (id {account}, role {ROLE}) has a new token")
    return 0


if __name__ == "__main__":
    sys.exit(main())
