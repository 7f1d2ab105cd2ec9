"""The aiops HTTP service: Alertmanager webhook in, incidents out.

uvicorn aiops.main:create_app --factory --port 8001
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from aiops import auth, limits, sigv4, telemetry, web
from aiops.anomaly import detector as anomaly
from aiops.payload import WebhookPayload
from aiops.pipeline import Pipeline
from aiops.settings import Settings
from aiops.store import IncidentStore
from aiops.summarise import bedrock

log = structlog.get_logger("aiops")


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes the limit (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _bedrock(settings: Settings) -> bedrock.BedrockSummariser | None:
    if not settings.bedrock_model_id:
        return None
    try:
        return bedrock.from_settings(
            settings.bedrock_model_id, settings.aws_region, settings.bedrock_timeout_s
        )
    except Exception as exc:  # e.g. no region: run offline rather than not at all
        log.error("bedrock_unavailable", model=settings.bedrock_model_id, error=str(exc))
        return None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = IncidentStore(settings.incidents_dir)
        timeout = httpx.Timeout(
            settings.backend_timeout_s, connect=min(2.0, settings.backend_timeout_s)
        )
        # On AWS the Prometheus API is AMP, which needs SigV4 (PROMETHEUS_SIGV4_SERVICE).
        auth = sigv4.from_env(settings.prometheus_url)
        async with httpx.AsyncClient(timeout=timeout, auth=auth) as client:
            summariser = _bedrock(settings)
            pipeline = Pipeline(settings, store, client, summariser)
            app.state.store = store
            app.state.pipeline = pipeline
            # Incidents left pending by a restart get their summary now.
            for incident_id in store.ids(analysis="pending"):
                pipeline.submit(incident_id)
            log.info(
                "aiops_started",
                incidents=len(store),
                summariser="bedrock" if summariser else "offline",
            )
            app.state.anomalies = anomaly.from_settings(settings, client)
            try:
                async with anomaly.running(app.state.anomalies):
                    yield
            finally:
                await pipeline.drain()

    app = FastAPI(
        title="aiops",
        version="0.1.0",
        lifespan=lifespan,
        telemetry=telemetry.fastapi_telemetry(settings),
    )
    telemetry.configure(app, settings)
    app.state.settings = settings
    app.include_router(web.router)

    def reject(status: int, reason: str, details: Any) -> JSONResponse:
        telemetry.rejected.add(1, {"reason": reason})
        log.warning("alert_payload_rejected", reason=reason, details=details)
        return JSONResponse(
            status_code=status,
            content={
                "error": "invalid Alertmanager webhook payload",
                "reason": reason,
                "details": details,
            },
        )

    def refuse_write(request: Request) -> JSONResponse | None:
        refused = auth.refusal(settings.webhook_token, request.headers.get("authorization"))
        if refused is None:
            return None
        status, reason = refused
        telemetry.rejected.add(1, {"reason": reason})
        log.warning("write_refused", reason=reason, path=request.url.path)
        message = (
            f"writes are disabled: set {auth.ENV_NAME} (Alertmanager sends it as a bearer token)"
            if reason == "writes_disabled"
            else "send 'Authorization: Bearer <AIOPS_WEBHOOK_TOKEN>'"
        )
        return JSONResponse(
            status_code=status,
            content={"error": message, "reason": reason},
            headers={"WWW-Authenticate": "Bearer"} if status == 401 else None,
        )

    @app.post("/alerts")
    async def receive_alerts(request: Request) -> JSONResponse:
        refused = refuse_write(request)
        if refused is not None:
            return refused
        try:
            raw = await _bounded_body(request, limits.MAX_BODY_BYTES)
        except _TooLarge:
            return reject(413, "too_large", f"the limit is {limits.MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return reject(400, "not_json", str(exc)[:200])
        except RecursionError:
            # The JSON parser recurses per nesting level; no webhook nests more than a few.
            return reject(400, "too_deep", "the JSON nests too deeply")
        try:
            payload = WebhookPayload.model_validate(body)
        except ValidationError as exc:
            details = [
                {"loc": ".".join(str(p) for p in e["loc"])[:200], "msg": e["msg"][:200]}
                for e in exc.errors(include_url=False, include_input=False)[:20]
            ]
            return reject(422, "schema", details)
        store: IncidentStore = request.app.state.store
        incident, outcome = await store.apply(payload, datetime.now(UTC))
        telemetry.notifications.add(1, {"outcome": outcome, "status": payload.status})
        log.info(
            "alert_notification",
            outcome=outcome,
            status=payload.status,
            group_key=payload.groupKey,
            alerts=len(payload.alerts),
            incident=incident.id if incident else None,
        )
        if incident is not None and outcome not in ("duplicate", "ignored"):
            request.app.state.pipeline.submit(incident.id)
        return JSONResponse({"outcome": outcome, "incident_id": incident.id if incident else None})

    @app.get("/incidents")
    async def list_incidents(request: Request, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; at most `limit` (1..1000) rows, read from the index alone."""
        return list(request.app.state.store.rows(max(1, min(limit, 1000))))

    @app.get("/incidents/{incident_id}")
    async def get_incident(request: Request, incident_id: str) -> dict[str, Any]:
        incident = request.app.state.store.get(incident_id)
        if incident is None:
            raise HTTPException(status_code=404, detail="no such incident")
        data: dict[str, Any] = incident.model_dump(mode="json")
        return data

    @app.get("/anomalies")
    async def list_anomalies(request: Request) -> list[dict[str, Any]]:
        """The latest anomaly scores, highest first (empty when scoring is off)."""
        found: anomaly.Detector | None = request.app.state.anomalies
        if found is None:
            return []
        ranked = sorted(found.latest.values(), key=lambda a: a.score.score, reverse=True)
        return [a.as_dict() for a in ranked]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        store: IncidentStore | None = getattr(request.app.state, "store", None)
        if store is None or not store.directory.is_dir():
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready", "incidents_dir": str(store.directory)})

    return app
