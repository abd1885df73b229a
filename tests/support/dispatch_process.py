"""A dispatcher process with a short lease, for tests that kill it: ``python -m`` this module.

    python -m tests.support.dispatch_process DATABASE_URL API_BASE APP_ID SECRET TEMPLATE_ID

It claims and sends until killed. The lease is two seconds (production: two
minutes) so rows a killed process held come back within the test's patience.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from app.db import Database
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.wechat.api import RetryPolicy, WeChatAPI
from app.wechat.token_store import DatabaseTokenStore

LEASE_SECONDS = 2.0
# Slow enough that a kill at a random moment finds sends in flight.
RATE_PER_SECOND = 40.0


async def dispatch_forever(database_url: str, api_base: str, app_id: str, secret: str,
                           template_id: str) -> None:
    database = Database(database_url)
    async with httpx.AsyncClient(timeout=10) as http:
        api = WeChatAPI(http, app_id=app_id, app_secret=secret, base_url=api_base,
                        token_store=DatabaseTokenStore(database, app_id, poll_seconds=0.01),
                        retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05))
        dispatcher = Dispatcher(database, api, DispatchConfig(
            template_id=template_id, batch_size=25, concurrency=8, lease_seconds=LEASE_SECONDS,
            rate_per_second=RATE_PER_SECOND, backoff_seconds=0.1))
        while True:
            if not (await dispatcher.run_once()).claimed:
                await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(dispatch_forever(*sys.argv[1:6]))
