"""The ASGI application: built by :func:`create_app`, connected in its lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from app.console.assets import PREFIX as CONSOLE_STATIC_PREFIX
from app.console.assets import static_app as console_static_app
from app.console.errors import install_error_pages
from app.console.routes import router as console_router
from app.contests.router import router as contests_router
from app.conversations.turn import Conversations
from app.db import Database
from app.errors import install_error_handlers
from app.events.meetings_router import mp_router as mp_meetings_router
from app.events.meetings_router import router as meetings_router
from app.events.miniprogram_router import router as mp_events_router
from app.events.router import router as events_router
from app.health.router import router as health_router
from app.lessons.links import ReadingLinks, link_key
from app.lessons.router import admin_router as lessons_admin_router
from app.lessons.router import page_router as lessons_page_router
from app.limits import RequestGuard
from app.miniprogram.learning_router import router as mp_learning_router
from app.miniprogram.profile import router as mp_profile_router
from app.miniprogram.router import router as mp_router
from app.miniprogram.subscriptions import router as mp_subscriptions_router
from app.notices.router import router as notices_router
from app.observability import configure_logging
from app.orgs.router import router as orgs_router
from app.points.miniprogram_router import router as mp_points_router
from app.points.router import records_router as points_records_router
from app.points.router import router as points_router
from app.quiz_banks.router import router as quiz_banks_router
from app.reachability.router import router as reachability_router
from app.roster.router import router as roster_router
from app.scheduler.runner import build_scheduler
from app.settings import Settings, get_settings
from app.wechat.clients import OUTBOUND_TIMEOUT, wechat_client
from app.wechat.gateway import CallbackGateway, GatewayConfig
from app.wechat.router import add_callback_routes
from bots import build_bot


def create_serving_app() -> FastAPI:
    """The factory ``hongxin serve`` gives uvicorn: the app plus the scheduler."""
    # uvicorn's --workers processes start afresh, without the CLI's logging set-up.
    configure_logging(get_settings().log_level)
    return create_app(run_scheduler=True)


def create_serving_app_without_scheduler() -> FastAPI:
    """The factory for ``hongxin serve --no-scheduler``."""
    configure_logging(get_settings().log_level)
    return create_app()


def create_app(settings: Settings | None = None, *, run_scheduler: bool = False) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        http = httpx.AsyncClient(timeout=OUTBOUND_TIMEOUT,
                                 limits=httpx.Limits(max_connections=50))
        app.state.settings = settings
        app.state.database = database
        app.state.http = http
        app.state.wechat_api = wechat_client(http, database, settings)
        app.state.mp_api = wechat_client(http, database, settings, mini_program=True)
        app.state.gateway = CallbackGateway(
            GatewayConfig(
                token=settings.wechat_token.get_secret_value(),
                app_id=settings.wechat_app_id,
                aes_keys=settings.aes_keys,
                replay_window_seconds=settings.wechat_replay_window_seconds,
                safe_only=settings.wechat_safe_only,
            ),
            Conversations(database, build_bot(),
                          zone=ZoneInfo(settings.timezone),
                          links=ReadingLinks(settings.public_url, link_key(settings))),
        )
        # What start-up built (modules, mappers, routes) lives as long as the process;
        # left to the collector, every full collection walks all of it, a pause that
        # lands on whichever requests are in flight (bench/NOTES.md).
        gc.freeze()
        scheduler = None
        if run_scheduler:
            scheduler = build_scheduler(settings, database, app.state.wechat_api,
                                        app.state.mp_api)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            await http.aclose()
            await database.aclose()
            gc.unfreeze()

    # The OpenAPI document maps every admin route: public in development only, unless
    # HONGXIN_PUBLIC_DOCS says otherwise.
    docs = settings.docs_served
    app = FastAPI(title="Hongxin", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    install_error_handlers(app)
    install_error_pages(app)
    add_callback_routes(app)
    # Order matters where paths overlap: the first router that matches serves.
    for router in (
            health_router, reachability_router, events_router, meetings_router,
            console_router, mp_events_router, mp_meetings_router, mp_router,
            mp_learning_router, mp_profile_router, mp_subscriptions_router,
            quiz_banks_router, lessons_admin_router, lessons_page_router, points_router,
            points_records_router, mp_points_router, contests_router, orgs_router,
            roster_router, notices_router,
    ):
        app.include_router(router)
    app.mount(CONSOLE_STATIC_PREFIX, console_static_app(), name="console-static")
    return app
