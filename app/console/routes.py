"""Every console page, gathered for the app: each area keeps its own router module."""

from __future__ import annotations

from fastapi import APIRouter

from app.console import (
    dashboard_router,
    events_pages,
    lessons,
    link_router,
    meetings_pages,
    notices_pages,
    points_pages,
    quiz_banks_router,
    records,
    roles_router,
    words,
)
from app.console import router as events_router

router = APIRouter()
# events_pages before events_router: /console/events/new must not be read as an event id.
for area in (link_router, events_pages, meetings_pages, events_router, lessons, words,
             dashboard_router, quiz_banks_router, roles_router, records, points_pages,
             notices_pages):
    router.include_router(area.router)
