"""The access token shared through the database: one fetch, however many callers race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.db import Database
from app.fakewechat import DEV_APPS
from app.models import AccessTokenRow
from app.wechat.api import RetryPolicy, WeChatAPI
from app.wechat.token_store import DatabaseTokenStore
from tests.support.fake_platform import CUSTOM, FakeControl

APPID, SECRET = next(iter(DEV_APPS.items()))
FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02)
OPENID = "oUser0000000000000000000042"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def second_database(database_url: str) -> Iterator[Database]:
    # Another process's view of the same database: its own engine and writer.
    db = Database(database_url)
    yield db
    db.close()


def client(http: httpx.AsyncClient, url: str, database: Database) -> WeChatAPI:
    """What one process builds: its own store over the shared row."""
    store = DatabaseTokenStore(database, APPID, poll_seconds=0.01)
    return WeChatAPI(http, app_id=APPID, app_secret=SECRET, base_url=url,
                     token_store=store, retry=FAST_RETRY)


async def test_racing_processes_fetch_the_token_once(
    database: Database, second_database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    clients = [client(http, fake.url, db) for db in (database, second_database) for _ in range(4)]
    # Slow token answers widen the window in which a careless store would fetch twice.
    fake.fault("/cgi-bin/stable_token", delay=0.3)

    await asyncio.gather(*(api.send_custom_text(OPENID, f"第{i}条")
                           for i, api in enumerate(clients)))

    assert fake.token_fetches() == 1
    assert len(fake.delivered(CUSTOM)) == len(clients)

    # The token is revoked mid-batch: every caller sees 42001, one of them refreshes.
    fake.expire_tokens()
    await asyncio.gather(*(api.send_custom_text(OPENID, f"再{i}条")
                           for i, api in enumerate(clients)))
    assert fake.token_fetches() == 2
    assert len(fake.delivered(CUSTOM)) == 2 * len(clients)


async def test_token_is_refreshed_ahead_of_expiry(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    moment = [datetime.now(UTC)]
    store = DatabaseTokenStore(database, APPID, clock=lambda: moment[0])
    api = WeChatAPI(http, app_id=APPID, app_secret=SECRET, base_url=fake.url,
                    token_store=store, retry=FAST_RETRY)
    first = await api.get_access_token()
    assert fake.token_fetches() == 1

    assert await api.get_access_token() == first
    assert fake.token_fetches() == 1

    # 7000 s later the 7200 s token is inside the 300 s margin: fetched again.
    moment[0] += timedelta(seconds=7000)
    fake.expire_tokens()  # the platform would renew a stable token this close to expiry
    second = await api.get_access_token()
    assert fake.token_fetches() == 2
    assert second != first

    def stored(session: object) -> AccessTokenRow | None:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        return session.get(AccessTokenRow, APPID)

    row = await database.run(stored)
    assert row is not None and row.token == second and row.lease_until is None


async def test_a_dead_lease_holder_is_taken_over(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    from sqlalchemy.orm import Session

    now = datetime.now(UTC)

    def dead_holder(session: Session) -> None:
        session.add(AccessTokenRow(app_id=APPID, token=None, lease_owner="crashed",
                                   lease_until=now + timedelta(seconds=0.3), updated_at=now))

    await database.run(dead_holder)
    api = client(http, fake.url, database)
    await api.send_custom_text(OPENID, "你好")
    assert fake.token_fetches() == 1
    assert len(fake.delivered(CUSTOM)) == 1


async def test_a_failed_fetch_releases_the_lease(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    fake.fault("/cgi-bin/stable_token", errcode=-1, times=3)
    api = client(http, fake.url, database)
    with pytest.raises(Exception, match="errcode -1"):
        await api.send_custom_text(OPENID, "你好")
    # No lease is left behind: the next call fetches at once instead of waiting 30 s.
    await asyncio.wait_for(api.send_custom_text(OPENID, "你好"), timeout=3)
    assert fake.token_fetches() == 4
