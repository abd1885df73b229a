"""Liveness for load balancers and metrics for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.deps import SettingsDep
from app.health.probe import DatabaseProbe
from app.observability import metrics_access

router = APIRouter(tags=["operations"])


def _probe(request: Request) -> DatabaseProbe:
    # Made on first use rather than in the lifespan, next to the database it watches.
    state = request.app.state
    probe = getattr(state, "database_probe", None)
    if not isinstance(probe, DatabaseProbe):
        probe = state.database_probe = DatabaseProbe(state.database)
    return probe


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """``{"status": "ok"}`` when the database takes writes, 503 otherwise."""
    if await _probe(request).healthy():
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "detail": "database"}, status_code=503)


@router.get("/metrics")
async def metrics(request: Request, settings: SettingsDep) -> Response:
    """Prometheus metrics of this process (see HONGXIN_METRICS_TOKEN)."""
    metrics_access(settings, request.headers.get("authorization", ""))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
