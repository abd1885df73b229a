"""The outbox dispatcher against the fake platform over real HTTP, on both databases."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import DEV_APPS
from app.models import Member, OutboxMessage
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.outbox.planner import CUSTOM_BUDGET, Channel, Reach, plan
from app.outbox.service import enqueue
from app.wechat.api import RetryPolicy, WeChatAPI
from app.wechat.token_store import DatabaseTokenStore
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, TEMPLATE, FakeControl

APPID, SECRET = next(iter(DEV_APPS.items()))
FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02)
TEMPLATE_ID = "tmpl-reminder-1"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- planner


@pytest.mark.parametrize(("hours_ago", "used", "template", "has_data", "expected"), [
    (1, 0, None, True, Channel.CUSTOM),
    (47.9, CUSTOM_BUDGET - 1, None, True, Channel.CUSTOM),
    (1, CUSTOM_BUDGET, TEMPLATE_ID, True, Channel.TEMPLATE),
    (1, CUSTOM_BUDGET, None, True, None),
    (48, 0, TEMPLATE_ID, True, Channel.TEMPLATE),
    (72, 0, TEMPLATE_ID, False, None),
    (72, 0, None, True, None),
])
def test_planner(hours_ago: float, used: int, template: str | None, has_data: bool,
                 expected: Channel | None) -> None:
    reach = Reach(True, NOW - timedelta(hours=hours_ago), used)
    chosen = plan(reach, NOW, template_id=template, has_template_data=has_data)
    assert chosen.channel is expected
    assert chosen.reason


def test_planner_never_reaches_an_unfollowed_member() -> None:
    chosen = plan(Reach(False, NOW, 0), NOW, template_id=TEMPLATE_ID)
    assert chosen.channel is None and "follow" in chosen.reason


# --------------------------------------------------------------------------- helpers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def second_database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.close()


def dispatcher(database: Database, http: httpx.AsyncClient, fake: FakeControl,
               **config: Any) -> Dispatcher:
    api = WeChatAPI(http, app_id=APPID, app_secret=SECRET, base_url=fake.url,
                    token_store=DatabaseTokenStore(database, APPID, poll_seconds=0.01),
                    retry=FAST_RETRY)
    settings: dict[str, Any] = {"rate_per_second": None, "backoff_seconds": 0.0,
                                "lease_seconds": 60.0, **config}
    return Dispatcher(database, api, DispatchConfig(**settings))


async def queue(database: Database, count: int, *, per_member: int = 1,
                last_interaction: timedelta = timedelta(minutes=5),
                payload: dict[str, Any] | None = None, prefix: str = "m") -> list[str]:
    """``count`` due rows over ``count / per_member`` members; returns their openids."""
    now = datetime.now(UTC)

    def work(session: Session) -> list[str]:
        openids = []
        for m in range(count // per_member):
            openid = f"o{prefix}{m:026d}"
            member = create_member(session, openid=openid,
                                   last_interaction_at=now - last_interaction)
            openids.append(openid)
            for n in range(per_member):
                body = payload if payload is not None else {
                    "text": f"提醒 {prefix}-{m}-{n}",
                    "template_data": {
                        "thing1": f"活动 {m}\n第{n}条",
                        "time2": "2026年11月22日 09:00",
                        "thing3": "这是一个非常非常非常非常长的活动地点名称，超过二十个字",
                    },
                }
                enqueue(session, dedup_key=f"test:{prefix}:{m}:{n}", kind="event_reminder",
                        member_id=member.id, payload=body, due_at=now - timedelta(seconds=1),
                        now=now)
        return openids

    return await database.run(work)


async def rows(database: Database) -> list[OutboxMessage]:
    def work(session: Session) -> list[OutboxMessage]:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return await database.run(work)


def texts_delivered(fake: FakeControl) -> Counter[str]:
    return Counter(call["body"]["text"]["content"] for call in fake.delivered(CUSTOM))


# --------------------------------------------------------------------------- sending


async def test_due_rows_go_out_as_customer_service_messages(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, 3)
    stats = await dispatcher(database, http, fake).run_once()
    assert (stats.claimed, stats.sent) == (3, 3)
    assert texts_delivered(fake) == Counter({"提醒 m-0-0": 1, "提醒 m-1-0": 1, "提醒 m-2-0": 1})
    stored = await rows(database)
    assert {(r.status, r.channel, r.attempts) for r in stored} == {("sent", "custom", 1)}
    assert all(r.sent_at is not None and r.lease_until is None for r in stored)
    # Nothing is due any more.
    assert (await dispatcher(database, http, fake).run_once()).claimed == 0


async def test_budget_spent_falls_back_to_a_fitted_template(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, CUSTOM_BUDGET + 2, per_member=CUSTOM_BUDGET + 2)
    await dispatcher(database, http, fake, template_id=TEMPLATE_ID).run_once()
    assert len(fake.delivered(CUSTOM)) == CUSTOM_BUDGET
    templates = fake.delivered(TEMPLATE)
    assert len(templates) == 2
    for call in templates:
        assert call["body"]["template_id"] == TEMPLATE_ID
        values = [field["value"] for field in call["body"]["data"].values()]
        assert all(len(v) <= 20 and "\n" not in v for v in values)
    # A later batch still counts what this window already used.
    await queue(database, 1, prefix="late", last_interaction=timedelta(hours=1))
    stored = await rows(database)
    assert Counter(r.channel for r in stored if r.status == "sent") == {
        "custom": CUSTOM_BUDGET, "template": 2}


async def test_window_closed_without_template_is_unsendable_with_reason(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, 1, last_interaction=timedelta(hours=49))
    stats = await dispatcher(database, http, fake).run_once()
    assert stats.unsendable == 1
    (row,) = await rows(database)
    assert row.status == "unsendable"
    assert row.last_error is not None and "HONGXIN_REMINDER_TEMPLATE_ID" in row.last_error
    assert fake.calls(CUSTOM) == [] and fake.calls(TEMPLATE) == []


async def test_45015_fails_permanently_or_falls_back_to_a_template(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    openids = await queue(database, 2)
    for openid in openids:
        fake.member(openid, window_open=False)  # the platform disagrees with our window
    stats = await dispatcher(database, http, fake).run_once()
    assert stats.failed == 2
    assert {(r.status, r.last_errcode) for r in await rows(database)} == {("failed", 45015)}

    await queue(database, 1, prefix="tpl")
    fake.member("otpl" + "0" * 26, window_open=False)
    await dispatcher(database, http, fake, template_id=TEMPLATE_ID).run_once()
    assert [c["openid"] for c in fake.delivered(TEMPLATE)] == ["otpl" + "0" * 26]
    # Failed rows are not retried on their own.
    assert (await dispatcher(database, http, fake).run_once()).claimed == 0


async def test_unfollowed_member_fails_and_is_marked(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    (openid,) = await queue(database, 1)
    fake.member(openid, subscribed=False)
    await dispatcher(database, http, fake).run_once()
    (row,) = await rows(database)
    assert (row.status, row.last_errcode) == ("failed", 43004)

    def member(session: Session) -> Member | None:
        return session.scalar(select(Member).where(Member.openid == openid))

    found = await database.run(member)
    assert found is not None and found.subscribed is False


async def test_errcode_minus_one_burst_is_retried_with_backoff(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    openids = await queue(database, 4)
    # More -1 answers for one member than the client's own 3 attempts can absorb.
    fake.fault(CUSTOM, errcode=-1, times=5, openid=openids[0])
    first = await dispatcher(database, http, fake, backoff_seconds=30.0).run_once()
    assert (first.sent, first.retried) == (3, 1)
    retried = [r for r in await rows(database) if r.status == "pending"]
    # The backoff holds the row back; its due time stays when it should have gone out.
    assert all(r.last_errcode == -1 and r.lease_until is not None
               and r.lease_until > datetime.now(UTC) > r.due_at for r in retried)
    # Not due yet: nothing is claimed before the backoff has passed.
    assert (await dispatcher(database, http, fake).run_once()).claimed == 0

    def make_due(session: Session) -> None:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")):
            row.lease_until = datetime.now(UTC) - timedelta(seconds=1)

    await database.run(make_due)
    await dispatcher(database, http, fake).drain()
    answers = [c["errcode"] for c in fake.calls(CUSTOM) if c["openid"] == openids[0]]
    assert answers == [-1, -1, -1, -1, -1, 0]
    assert set(texts_delivered(fake).values()) == {1} and len(texts_delivered(fake)) == 4
    assert {r.status for r in await rows(database)} == {"sent"}


async def test_an_outage_stops_the_batch_and_pauses_the_dispatcher(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, 20)
    # Enough 503s for the first two sends and their client retries, no more: a
    # dispatcher that went on trying row after row would deliver the rest now.
    fake.fault(CUSTOM, status=503, times=2 * FAST_RETRY.attempts)
    paused = dispatcher(database, http, fake, concurrency=2, backoff_seconds=30.0)
    stats = await paused.run_once()
    assert (stats.sent, stats.retried, stats.held_back) == (0, 2, 18)
    assert len(fake.calls(CUSTOM)) == 2 * FAST_RETRY.attempts
    held = [r for r in await rows(database) if r.attempts == 0]
    # Held back is not an attempt, and the rows are free for the next batch.
    assert len(held) == 18 and all(r.status == "pending" and r.lease_until is None for r in held)
    assert (await paused.run_once()).claimed == 0  # paused for the backoff

    await dispatcher(database, http, fake).drain()  # another process, or after the pause
    assert len(fake.calls(CUSTOM)) == 2 * FAST_RETRY.attempts + 18
    assert len(texts_delivered(fake)) == 18 and set(texts_delivered(fake).values()) == {1}


async def test_a_reminder_whose_time_has_passed_is_failed_unsent(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    began = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await queue(database, 2, prefix="late", payload={"text": "活动提醒", "expires_at": began})
    await queue(database, 1, prefix="ontime", payload={
        "text": "准时的提醒", "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    stats = await dispatcher(database, http, fake).run_once()
    assert (stats.sent, stats.failed) == (1, 2)
    assert list(texts_delivered(fake)) == ["准时的提醒"]
    late = [r for r in await rows(database) if r.status == "failed"]
    assert len(late) == 2 and all("its time passed" in (r.last_error or "") for r in late)


async def test_token_expiry_mid_batch_refreshes_once(
    database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, 30)
    one = dispatcher(database, http, fake, batch_size=10, concurrency=4)
    await one.run_once()
    assert fake.token_fetches() == 1
    fake.expire_tokens()
    await one.drain()
    assert fake.token_fetches() == 2
    delivered = texts_delivered(fake)
    assert len(delivered) == 30 and set(delivered.values()) == {1}


async def test_two_dispatchers_racing_deliver_each_row_once(
    database: Database, second_database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    await queue(database, 300)
    a = dispatcher(database, http, fake, batch_size=25)
    b = dispatcher(second_database, http, fake, batch_size=25)
    stats = await asyncio.gather(a.drain(), b.drain(), a.drain(), b.drain())
    assert sum(s.sent for s in stats) == 300
    assert all(s.claimed > 0 for s in stats[:2])  # both really took part
    delivered = texts_delivered(fake)
    assert len(delivered) == 300 and set(delivered.values()) == {1}
    assert {r.status for r in await rows(database)} == {"sent"}


# --------------------------------------------------------------------------- late replies


async def test_a_slow_turns_reply_reaches_the_member_as_a_customer_service_message(
    app: Any, async_client: httpx.AsyncClient, platform: Any, http: httpx.AsyncClient,
    fake: FakeControl
) -> None:
    from tests.app.test_wechat_retries import CountingBot, install, post
    from tests.support.wechat import message_xml

    counting = CountingBot(delay=0.6)
    install(app, counting.bot, budget=0.1)
    openid = "oSlow000000000000000000000001"
    answer = await post(async_client, *platform.plain(
        message_xml("text", openid, content="count slow", msg_id=99001)))
    assert answer == "success"  # WeChat stopped listening; the reply must come another way
    database: Database = app.state.database
    for _ in range(100):
        if [r for r in await rows(database) if r.kind == "late_reply"]:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the slow turn queued no late reply")
    stats = await dispatcher(database, http, fake).run_once()
    assert stats.sent == 1
    (call,) = fake.delivered(CUSTOM)
    assert call["openid"] == openid
    assert call["body"]["msgtype"] == "text"
    assert call["body"]["text"]["content"] == "run 1 for slow"


# --------------------------------------------------------------------------- dead dispatcher

_DYING_DISPATCHER = """
import asyncio, sys
import httpx
from app.db import Database
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.wechat.api import WeChatAPI
from app.wechat.token_store import DatabaseTokenStore

async def main(url, base):
    database = Database(url)
    async with httpx.AsyncClient(timeout=60) as http:
        api = WeChatAPI(http, app_id=sys.argv[3], app_secret=sys.argv[4], base_url=base,
                        token_store=DatabaseTokenStore(database, sys.argv[3]))
        await Dispatcher(database, api, DispatchConfig(lease_seconds=2, rate_per_second=None),
                         owner="doomed").run_once()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_rows_of_a_dispatcher_killed_mid_send_are_reclaimed_after_the_lease(
    database_url: str, database: Database, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    import subprocess
    import sys
    import time

    (openid,) = await queue(database, 1)
    fake.fault(CUSTOM, delay=30, openid=openid)  # the send hangs until the process dies
    doomed = subprocess.Popen([sys.executable, "-c", _DYING_DISPATCHER, database_url, fake.url,
                               APPID, SECRET])
    try:
        deadline = time.monotonic() + 30
        while not fake.calls(CUSTOM):
            assert doomed.poll() is None and time.monotonic() < deadline
            await asyncio.sleep(0.05)
    finally:
        doomed.kill()
        doomed.wait()
    (row,) = await rows(database)
    assert (row.status, row.claimed_by) == ("sending", "doomed")

    survivor = dispatcher(database, http, fake)
    assert (await survivor.run_once()).claimed == 0  # the lease still holds
    await asyncio.sleep(max(0.0, (row.lease_until - datetime.now(UTC)).total_seconds()) + 0.1)
    stats = await survivor.run_once()
    assert stats.sent == 1
    (row,) = await rows(database)
    assert (row.status, row.attempts) == ("sent", 2)
    calls = fake.calls(CUSTOM)
    assert [c["errcode"] for c in calls] == [None, 0]  # the killed call never got an answer
