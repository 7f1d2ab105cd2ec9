"""SigV4 signing for the Prometheus API when it is Amazon Managed Service for Prometheus.

AMP answers only requests signed for service `aps` (AMP user guide, "Query using the Prometheus
API"). The aiops HTTP client also talks to Loki and Grafana, so only requests to the Prometheus
host are signed; the others keep their own Authorization header. Credentials come from the
default chain (the ECS task role or the Lambda role) at each request, so rotated role
credentials are picked up.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from urllib.parse import urlsplit

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session


class PrometheusSigV4(httpx.Auth):
    requires_request_body = True

    def __init__(self, host: str, region: str, service: str = "aps") -> None:
        self.host = host
        self.region = region
        self.service = service
        self._session = Session()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.host == self.host:
            credentials = self._session.get_credentials()
            if credentials is None:
                raise RuntimeError("no AWS credentials to sign the Prometheus (AMP) request")
            signed = AWSRequest(
                method=request.method,
                url=str(request.url),
                data=request.content,
                headers={"host": request.url.netloc.decode()},
            )
            SigV4Auth(credentials.get_frozen_credentials(), self.service, self.region).add_auth(
                signed
            )
            for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
                if name in signed.headers:
                    request.headers[name] = signed.headers[name]
        yield request


def from_env(prometheus_url: str, env: dict[str, str] | None = None) -> PrometheusSigV4 | None:
    """Signing when PROMETHEUS_SIGV4_SERVICE is set (the AWS deployment), else None."""
    e = os.environ if env is None else env
    service = e.get("PROMETHEUS_SIGV4_SERVICE", "").strip()
    if not service:
        return None
    region = e.get("AWS_REGION", "").strip() or e.get("AWS_DEFAULT_REGION", "").strip()
    host = urlsplit(prometheus_url).hostname
    if not region or not host:
        raise ValueError("PROMETHEUS_SIGV4_SERVICE needs AWS_REGION and a PROMETHEUS_URL host")
    return PrometheusSigV4(host, region, service)
