"""The WeChat API down for minutes, then for more than an hour: the outbox waits and catches up.

Real HTTP to the fake platform, which is first not listening at all (connection
refused), then answers HTTP 503, then errcode -1. The dispatcher runs on a
simulated clock that moves one dispatch interval per tick, so an hour passes in
seconds while the database and the platform see real calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import FakeWeChatServer, FakeWeChatState
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.outbox.service import enqueue
from app.wechat.token_store import DatabaseTokenStore
from tests.app.test_outbox import APPID, FAST_RETRY, SECRET, queue, rows, texts_delivered
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, PLAIN, STABLE, FakeControl

TICK = timedelta(seconds=10)  # HONGXIN_DISPATCH_INTERVAL_SECONDS' default
DEFAULTS = DispatchConfig()
# The slowest a row may come back after the platform does: one backoff step at its
# cap (with its jitter) plus the tick that notices.
CATCH_UP = timedelta(seconds=DEFAULTS.backoff_max_seconds * 1.25) + TICK


class SimulatedClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        self.now += step


class Outage:
    """Switches the fake platform between down (in one of three ways) and up."""

    def __init__(self, state: FakeWeChatState) -> None:
        self.state = state
        self.server = FakeWeChatServer(state)
        self.server.start()
        self.listening = True
        self.url = self.server.url
        self.control = FakeControl(self.url)

    def refuse(self) -> None:
        self.server.stop()
        self.listening = False

    def fail(self, **how: Any) -> None:
        self._listen()
        self.control.http.delete("/_fake/faults").raise_for_status()
        for path in (CUSTOM, STABLE, PLAIN):
            self.control.fault(path, times=1_000_000, **how)

    def end(self) -> None:
        self._listen()
        self.control.http.delete("/_fake/faults").raise_for_status()

    def _listen(self) -> None:
        if not self.listening:  # the same port and memory: the platform is back
            self.server = FakeWeChatServer(self.state, port=self.server.port)
            self.server.start()
            self.listening = True

    def close(self) -> None:
        self.control.close()
        self.server.stop()


@pytest.fixture
def outage() -> Iterator[Outage]:
    running = Outage(FakeWeChatState())
    yield running
    running.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def simulated_dispatcher(database: Database, http: httpx.AsyncClient, url: str,
                         clock: SimulatedClock, **config: Any) -> Dispatcher:
    from app.wechat.api import WeChatAPI

    api = WeChatAPI(http, app_id=APPID, app_secret=SECRET, base_url=url,
                    token_store=DatabaseTokenStore(database, APPID, poll_seconds=0.01),
                    retry=FAST_RETRY)
    # Production settings but for the pace of calls, which would only slow the test.
    return Dispatcher(database, api, DispatchConfig(rate_per_second=None, **config), clock=clock)


def expected_delay(attempts: int) -> tuple[float, float]:
    base = min(DEFAULTS.backoff_seconds * 2 ** (attempts - 1), DEFAULTS.backoff_max_seconds)
    return base, base * 1.25


async def queue_due_at(database: Database, due: datetime, count: int, prefix: str) -> None:
    def work(session: Session) -> None:
        for m in range(count):
            member = create_member(session, openid=f"o{prefix}{m:025d}",
                                   last_interaction_at=datetime.now(UTC))
            enqueue(session, dedup_key=f"outage:{prefix}:{m}", kind="event_reminder",
                    member_id=member.id, payload={"text": f"提醒 {prefix}-{m}"},
                    due_at=due, now=datetime.now(UTC))

    await database.run(work)


async def tick_and_check_backoff(dispatcher: Dispatcher, database: Database,
                                 clock: SimulatedClock, attempts_seen: dict[int, int]) -> int:
    """One dispatch tick; checks the backoff of every row it retried; returns rows sent."""
    stats = await dispatcher.drain()
    for row in await rows(database):
        if row.attempts != attempts_seen.get(row.id, 0) and row.status == "pending":
            assert row.lease_until is not None
            low, high = expected_delay(row.attempts)
            waited = (row.lease_until - clock.now).total_seconds()
            assert low <= waited <= high, (row.attempts, waited)
            assert row.due_at <= clock.now  # the due time stays what it was
        attempts_seen[row.id] = row.attempts
    clock.advance(TICK)
    return stats.sent


async def test_platform_down_for_ten_minutes_in_three_ways(
    database: Database, http: httpx.AsyncClient, outage: Outage
) -> None:
    clock = SimulatedClock()
    start = clock.now
    await queue(database, 20, prefix="early")
    await queue_due_at(database, start + timedelta(minutes=4), 10, prefix="mid")
    dispatcher = simulated_dispatcher(database, http, outage.url, clock)
    attempts: dict[int, int] = {}
    phases = [(timedelta(minutes=2), outage.refuse), (timedelta(minutes=5),
              lambda: outage.fail(status=503)), (timedelta(minutes=10),
              lambda: outage.fail(errcode=-1))]
    for until, begin in phases:
        begin()
        while clock.now - start < until:
            assert await tick_and_check_backoff(dispatcher, database, clock, attempts) == 0
    assert outage.control.delivered(CUSTOM) == []
    assert all(row.status == "pending" for row in await rows(database))
    # It kept trying, one batch per pause: at 0 s, then after 30, 60, 120 and 240 s
    # (plus jitter), each batch stopping at its first sends (one per slot).
    assert sum(row.attempts for row in await rows(database)) == 5 * DEFAULTS.concurrency

    outage.end()
    recovered = clock.now
    while any(row.status != "sent" for row in await rows(database)):
        assert clock.now - recovered <= CATCH_UP, "the outbox did not catch up"
        await tick_and_check_backoff(dispatcher, database, clock, attempts)
    delivered = texts_delivered(outage.control)
    assert len(delivered) == 30 and set(delivered.values()) == {1}
    stored = await rows(database)
    assert {(row.status, row.last_error) for row in stored} == {("sent", None)}


async def test_platform_down_for_ninety_minutes_loses_nothing(
    database: Database, http: httpx.AsyncClient, outage: Outage
) -> None:
    clock = SimulatedClock()
    start = clock.now
    await queue(database, 5)
    dispatcher = simulated_dispatcher(database, http, outage.url, clock)
    outage.fail(errcode=-1)
    attempts: dict[int, int] = {}
    while clock.now - start < timedelta(minutes=90):
        assert await tick_and_check_backoff(dispatcher, database, clock, attempts) == 0
        clock.advance(timedelta(seconds=50))  # minute ticks: an hour and a half is long
    assert {row.status for row in await rows(database)} == {"pending"}
    outage.end()
    recovered = clock.now
    while any(row.status != "sent" for row in await rows(database)):
        assert clock.now - recovered <= CATCH_UP
        await tick_and_check_backoff(dispatcher, database, clock, attempts)
    delivered = texts_delivered(outage.control)
    assert len(delivered) == 5 and set(delivered.values()) == {1}


async def test_a_message_still_failing_a_day_after_its_time_is_given_up(
    database: Database, http: httpx.AsyncClient, outage: Outage
) -> None:
    clock = SimulatedClock()
    await queue(database, 2)
    dispatcher = simulated_dispatcher(database, http, outage.url, clock)
    outage.fail(errcode=-1)
    limit = timedelta(seconds=DEFAULTS.give_up_after_seconds)
    clock.advance(limit - timedelta(minutes=1))
    assert (await dispatcher.run_once()).retried == 2  # still worth a try
    clock.advance(timedelta(minutes=10))
    stats = await dispatcher.run_once()
    assert stats.failed == 2
    for row in await rows(database):
        assert row.status == "failed" and row.last_errcode == -1
        assert row.last_error is not None and "24 h" in row.last_error
