"""Who may write to aiops: `Authorization: Bearer $AIOPS_WEBHOOK_TOKEN` on every write.

Alertmanager sends the token (http_config.authorization with credentials_file in
alertmanager/alertmanager.yml). Without a token configured, writes are refused outright: an
open webhook lets anything on the network open incidents and post Grafana annotations.
Reads (the incident list and records) stay open: aiops publishes on 127.0.0.1 only, and the
records hold no more than the alerts Grafana and Alertmanager already show there.
"""

from __future__ import annotations

import hmac

from genai_service.guardrails.auth import bearer_token

ENV_NAME = "AIOPS_WEBHOOK_TOKEN"


def refusal(configured: str, authorization: str | None) -> tuple[int, str] | None:
    """None when the request may write, else (status, reason) to answer with."""
    if not configured:
        return 403, "writes_disabled"
    token = bearer_token(authorization)
    if token is None:
        return 401, "unauthorized"
    if not hmac.compare_digest(token.encode(), configured.encode()):
        return 401, "unauthorized"
    return None
