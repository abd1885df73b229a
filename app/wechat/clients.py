"""The one place a :class:`WeChatAPI` is built: from the settings, its token kept in the database.

The lifespan builds the official account's and the mini program's over the
app's shared HTTP client; commands and the worker, which run outside the app,
open their own HTTP client with :func:`standalone_wechat_client`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.db import Database
from app.settings import Settings
from app.wechat.api import WeChatAPI
from app.wechat.token_store import DatabaseTokenStore

# The platform answers within a few seconds or not at all; never let a slow call
# hold a worker for long.
OUTBOUND_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def wechat_client(http: httpx.AsyncClient, database: Database, settings: Settings, *,
                  mini_program: bool = False) -> WeChatAPI:
    """The official account's client, or with ``mini_program`` the mini program's."""
    app_id = settings.mp_app_id if mini_program else settings.wechat_app_id
    secret = settings.mp_app_secret if mini_program else settings.wechat_app_secret
    return WeChatAPI(http, app_id=app_id, app_secret=secret.get_secret_value(),
                     base_url=settings.wechat_api_base,
                     token_store=DatabaseTokenStore(database, app_id))


@asynccontextmanager
async def standalone_wechat_client(
    settings: Settings, database: Database, *, mini_program: bool = False
) -> AsyncIterator[WeChatAPI]:
    """The official account's (or mini program's) client over an HTTP client of its own,
    closed on exit."""
    async with httpx.AsyncClient(timeout=OUTBOUND_TIMEOUT) as http:
        yield wechat_client(http, database, settings, mini_program=mini_program)
