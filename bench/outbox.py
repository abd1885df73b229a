"""Outbox benchmark: due reminders sent by two dispatcher processes to the local fake platform.

    .venv/bin/python -m bench.outbox [--messages 10000] [--processes 2] [--database URL]

Queues ``--messages`` due rows (one member each, inside the 48-hour window) in a
fresh SQLite database (or ``--database``/``HONGXIN_BENCH_DATABASE_URL``, which is
emptied first), starts the fake WeChat platform in this process and
``--processes`` dispatcher processes on the database, waits until every row is
sent, and prints messages per second and how many messages the platform got
more than once (must be 0). :func:`main` returns the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bench.scratch import bench_database

CUSTOM = "/cgi-bin/message/custom/send"


def _dispatch_until_empty(database_url: str, api_base: str, app_id: str, secret: str) -> None:
    import httpx

    from app.db import Database
    from app.outbox.dispatcher import DispatchConfig, Dispatcher
    from app.wechat.api import WeChatAPI
    from app.wechat.token_store import DatabaseTokenStore

    async def run() -> None:
        database = Database(database_url)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            api = WeChatAPI(http, app_id=app_id, app_secret=secret, base_url=api_base,
                            token_store=DatabaseTokenStore(database, app_id))
            dispatcher = Dispatcher(database, api, DispatchConfig(
                batch_size=200, concurrency=32, rate_per_second=None))
            while (await dispatcher.run_once()).claimed:
                pass
        database.close()

    asyncio.run(run())


def _prepare(database_url: str, messages: int) -> None:
    from app import migrations
    from app.db import Database
    from app.models import AccessTokenRow, Member, OutboxMessage

    migrations.upgrade(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        for model in (OutboxMessage, AccessTokenRow, Member):
            session.query(model).delete()
    with database.unit_of_work() as session:
        session.execute(insert(Member), [
            {"id": n + 1, "openid": f"oBench{n:022d}", "first_seen_at": now,
             "last_interaction_at": now - timedelta(minutes=10), "subscribed": True,
             "daily_push": False}
            for n in range(messages)
        ])
        session.execute(insert(OutboxMessage), [
            {"dedup_key": f"bench:{n}", "kind": "event_reminder", "member_id": n + 1,
             "payload": {"text": f"活动提醒 #{n}"}, "due_at": now - timedelta(seconds=1),
             "status": "pending", "attempts": 0, "created_at": now}
            for n in range(messages)
        ])
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == messages
    database.close()


def main(messages: int = 10_000, processes: int = 2,
         database_url: str | None = None) -> dict[str, Any]:
    """Run the benchmark; returns messages, seconds, messages_per_second, duplicates, missing."""
    from app.fakewechat import DEV_APPS, FakeWeChatServer

    app_id, secret = next(iter(DEV_APPS.items()))
    with bench_database(database_url, "outbox") as url, FakeWeChatServer() as fake:
        _prepare(url, messages)
        context = multiprocessing.get_context("spawn")
        workers = [context.Process(target=_dispatch_until_empty,
                                   args=(url, fake.url, app_id, secret))
                   for _ in range(processes)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        accepted = Counter(call.body["text"]["content"] for call in fake.state.calls
                           if call.path == CUSTOM and call.errcode == 0)
    duplicates = sum(count - 1 for count in accepted.values())
    figures = {
        "messages": messages,
        "processes": processes,
        "seconds": round(seconds, 2),
        "messages_per_second": round(len(accepted) / seconds, 1),
        "duplicates": duplicates,
        "missing": messages - len(accepted),
        "exit_codes": [worker.exitcode for worker in workers],
    }
    print(f"outbox: {len(accepted)} of {messages} messages by {processes} dispatcher processes "
          f"in {seconds:.1f} s = {figures['messages_per_second']} messages/s; "
          f"duplicates {duplicates}, missing {figures['missing']}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--database", default=None)
    options = parser.parse_args()
    main(options.messages, options.processes, options.database)
