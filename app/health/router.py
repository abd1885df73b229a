"""Liveness for load balancers and metrics for Prometheus."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """``{"status": "ok"}`` when the database answers, 503 otherwise."""
    healthy = await asyncio.to_thread(request.app.state.database.ping)
    if healthy:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "detail": "database"}, status_code=503)


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
