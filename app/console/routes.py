"""Every console page, gathered for the app: each area keeps its own router module."""

from __future__ import annotations

from fastapi import APIRouter

from app.console import dashboard_router, link_router, quiz_banks_router, roles_router
from app.console import router as events_router

router = APIRouter()
for area in (link_router, events_router, dashboard_router, quiz_banks_router,
             roles_router):
    router.include_router(area.router)
