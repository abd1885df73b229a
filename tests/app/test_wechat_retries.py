"""WeChat's retries: acted on once, answered with the same reply, in one process or two."""

from __future__ import annotations

import asyncio
import threading
import time
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.conversations.turn import Conversations
from app.db import Database
from app.lessons.links import ReadingLinks
from app.models import InboundMessage, Member, OutboxMessage
from app.wechat.gateway import CallbackGateway, GatewayConfig
from bots import Bot, Reply, TextReply, Turn, build_bot
from tests.support.wechat import APP_ID, TOKEN, Platform, message_xml


class CountingBot:
    """The real bot plus a ``count`` command whose handler counts its runs."""

    def __init__(self, delay: float = 0.0) -> None:
        self.runs = 0
        self._lock = threading.Lock()
        self._delay = delay
        self.bot: Bot = build_bot()
        self.bot.on_command("count", self.count)
        self.bot.on_keyword(("remember",), self.remember)

    def count(self, turn: Turn) -> Reply:
        with self._lock:
            self.runs += 1
            run = self.runs
        time.sleep(self._delay)
        return TextReply(f"run {run} for {turn.argument}")

    def remember(self, turn: Turn) -> Reply:
        seen = (turn.conversation or {}).get("times", 0) + 1
        turn.start_flow("memory", times=seen)
        return TextReply(f"times {seen}")


def install(app: FastAPI, bot: Bot, budget: float = 4.5) -> None:
    settings = app.state.settings
    app.state.gateway = CallbackGateway(
        GatewayConfig(token=TOKEN, app_id=APP_ID, aes_keys=settings.aes_keys,
                      replay_window_seconds=300, safe_only=False),
        Conversations(app.state.database, bot, zone=ZoneInfo("Asia/Shanghai"),
                      links=ReadingLinks("http://127.0.0.1:8000", "test-key")),
        reply_budget_seconds=budget,
    )


async def post(http: httpx.AsyncClient, params: dict[str, str], body: bytes) -> str:
    response = await http.post("/wechat", params=params, content=body)
    assert response.status_code == 200, response.text
    return response.text


async def test_sequential_retry_gets_the_same_reply_and_runs_once(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform
) -> None:
    counting = CountingBot()
    install(app, counting.bot)
    xml = message_xml("text", content="count a", msg_id=77001)
    first = await post(async_client, *platform.plain(xml))
    # WeChat's retries come with fresh timestamp, nonce and signature.
    second = await post(async_client, *platform.plain(xml))
    third = await post(async_client, *platform.encrypted(xml))
    assert "run 1 for a" in first
    assert second == first
    assert "run 1 for a" in str(platform.decrypt_reply(third)["Content"])
    assert counting.runs == 1


async def test_concurrent_retries_run_once(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database: Database
) -> None:
    counting = CountingBot(delay=0.2)
    install(app, counting.bot)
    xml = message_xml("text", content="count b", msg_id=77002)
    replies = await asyncio.gather(*(post(async_client, *platform.plain(xml)) for _ in range(4)))
    assert counting.runs == 1
    assert len(set(replies)) == 1 and "run 1 for b" in replies[0]
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


async def test_events_are_deduplicated_by_sender_time_and_event(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database: Database
) -> None:
    xml = message_xml("subscribe", "o_event", create_time=1_700_000_000)
    first = await post(async_client, *platform.plain(xml))
    again = await post(async_client, *platform.plain(xml))
    # A new subscribe (another CreateTime) is its own event.
    await post(async_client, *platform.plain(
        message_xml("subscribe", "o_event", create_time=1_700_000_001)))
    assert first == again
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


async def test_different_messages_are_each_handled(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform
) -> None:
    counting = CountingBot()
    install(app, counting.bot)
    replies = await asyncio.gather(*(
        post(async_client, *platform.plain(message_xml("text", f"o_{i}", content=f"count {i}")))
        for i in range(20)
    ))
    assert counting.runs == 20
    assert all(f"for {i}" in reply for i, reply in enumerate(replies))


async def test_conversation_state_survives_across_processes(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database_url: str
) -> None:
    counting = CountingBot()
    install(app, counting.bot)
    for expected in (1, 2, 3):
        reply = await post(async_client, *platform.plain(message_xml("text", content="remember")))
        assert f"times {expected}" in reply
    # A second, independent Database (another worker) sees the stored state.
    other = Database(database_url)
    try:
        with other.unit_of_work() as session:
            state = session.scalar(select(Member.conversation).where(Member.openid == "o_member_1"))
        assert state == {"flow": "memory", "times": 3}
    finally:
        other.close()


async def test_slow_turn_answers_success_and_queues_the_reply(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database: Database
) -> None:
    counting = CountingBot(delay=1.0)
    install(app, counting.bot, budget=0.2)
    xml = message_xml("text", "o_slow", content="count slow", msg_id=77003)
    reply = await post(async_client, *platform.plain(xml))
    # The turn runs on the event loop (app/db.py), so the answer cannot leave
    # before a turn that computes for a second ends; the turn saw it was past
    # the budget and answers "success", which WeChat may no longer be waiting for.
    assert reply == "success"
    retry = await post(async_client, *platform.plain(xml))
    assert retry == "success"
    assert counting.runs == 1
    assert queued_replies(database) == [("late_reply", {"text": "run 1 for slow"})]


async def test_turn_waiting_for_a_lock_answers_success_in_time(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database: Database
) -> None:
    """A turn that waits for a lock (SQLite's, or its member's row) leaves the loop free."""
    counting = CountingBot()
    install(app, counting.bot, budget=0.2)
    await post(async_client, *platform.plain(message_xml("text", "o_slow", content="help")))
    held, release = threading.Event(), threading.Event()

    def hold_the_member_row() -> None:
        with database.unit_of_work() as session:
            session.execute(select(Member.id).where(Member.openid == "o_slow").with_for_update())
            held.set()
            release.wait(10)

    holder = asyncio.create_task(asyncio.to_thread(hold_the_member_row))
    await asyncio.to_thread(held.wait, 10)
    xml = message_xml("text", "o_slow", content="count slow", msg_id=77004)
    started = time.perf_counter()
    reply = await post(async_client, *platform.plain(xml))
    waited = time.perf_counter() - started
    release.set()
    await holder
    assert reply == "success"
    assert waited < 0.9
    # The turn, no longer held, finishes in the background.
    for _ in range(100):
        if queued_replies(database):
            break
        await asyncio.sleep(0.1)
    assert counting.runs == 1
    assert queued_replies(database) == [("late_reply", {"text": "run 1 for slow"})]


def queued_replies(database: Database) -> list[tuple[str, object]]:
    with database.unit_of_work() as session:
        return [(m.kind, m.payload) for m in session.scalars(select(OutboxMessage)).all()]


@pytest.mark.parametrize("delay", [0.0])
async def test_fast_turn_queues_nothing(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform, database: Database,
    delay: float,
) -> None:
    counting = CountingBot(delay=delay)
    install(app, counting.bot, budget=2.0)
    reply = await post(async_client, *platform.plain(message_xml("text", content="count x")))
    assert "run 1 for x" in reply
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
