"""Fault benchmark: the outbox through a WeChat outage and through dispatchers killed at random.

    .venv/bin/python -m bench.faults [--down 60] [--messages 200] [--kill-messages 1000]

**Outage.** ``--messages`` reminders come due over the first half of the run
while the local fake platform is down for ``--down`` seconds of wall-clock time
(a third not listening, a third HTTP 503, a third errcode -1). One dispatcher
runs on the real clock with the production backoff scaled down 60 times (30 s
doubling to 5 minutes becomes 0.5 s doubling to 5 s), so a 60-second outage
stands for an hour. Reported: delivered, lost, doubled, failed, and the seconds
from the platform's return until the last message was delivered.

**Kills.** ``--kill-messages`` due reminders (three quarters customer-service,
a quarter template) and two dispatcher processes with a two-second lease; one
is SIGKILLed in the middle of a batch ``--kills`` times and restarted. Reported:
lost (must be 0), customer-service messages delivered twice (the platform had
accepted them when their sender died), template repeats (the platform drops
them by ``client_msg_id``), seconds.

**Stops.** The same with two ``hongxin worker`` processes, one stopped with
SIGTERM mid-batch ``--kills`` times and restarted, as a deploy or ``docker
stop`` would: the worker records the sends under way before it exits, so
nothing may be doubled.

Uses a fresh SQLite database unless ``--database`` or
``HONGXIN_BENCH_DATABASE_URL`` names one (emptied first). :func:`main` returns
the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select

from bench.scratch import bench_database

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
TOKEN_PATHS = ("/cgi-bin/stable_token", "/cgi-bin/token")
TEMPLATE_ID = "bench-reminder"
# Production backoff (30 s doubling, 5 min cap) divided by this.
TIME_SCALE = 60.0
KILL_LEASE_SECONDS = 2.0


def _prepare(database_url: str, due: list[datetime], *, template_share: float = 0.0) -> None:
    from app import migrations
    from app.db import Database
    from app.models import AccessTokenRow, Member, OutboxMessage

    migrations.upgrade(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    every = round(1 / template_share) if template_share else len(due) + 1
    with database.unit_of_work() as session:
        for model in (OutboxMessage, AccessTokenRow, Member):
            session.execute(delete(model))
    with database.unit_of_work() as session:
        session.execute(insert(Member), [
            {"id": n + 1, "openid": f"oFault{n:023d}", "first_seen_at": now,
             # Every so often one wrote too long ago for customer-service messages.
             "last_interaction_at": now - (timedelta(hours=49) if n % every == every - 1
                                           else timedelta(minutes=10)),
             "subscribed": True, "daily_push": False}
            for n in range(len(due))
        ])
        session.execute(insert(OutboxMessage), [
            {"dedup_key": f"fault:{n}", "kind": "event_reminder", "member_id": n + 1,
             "payload": {"text": f"活动提醒 #{n}",
                         "template_data": {"thing1": f"活动 #{n}", "time2": "明天 09:00",
                                           "thing3": "党员活动室"}},
             "due_at": at, "status": "pending", "attempts": 0, "created_at": now}
            for n, at in enumerate(due)
        ])
    database.close()


def _statuses(database_url: str) -> dict[str, int]:
    from app.db import Database
    from app.models import OutboxMessage

    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return dict(session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all())
    finally:
        database.close()


# --------------------------------------------------------------------------- outage


async def _outage(database_url: str, down: float, messages: int) -> dict[str, Any]:
    import httpx

    from app.db import Database
    from app.fakewechat import DEV_APPS, FakeWeChatServer, FakeWeChatState
    from app.outbox.dispatcher import DispatchConfig, Dispatcher
    from app.wechat.api import RetryPolicy, WeChatAPI
    from app.wechat.token_store import DatabaseTokenStore

    app_id, secret = next(iter(DEV_APPS.items()))
    start = datetime.now(UTC)
    # Half are due at once, the rest come due one by one while the platform is down.
    due = [start if n < messages // 2 else start + timedelta(seconds=down * n / messages)
           for n in range(messages)]
    _prepare(database_url, due)
    state = FakeWeChatState()
    fake = FakeWeChatServer(state)
    fake.start()
    port = fake.port
    fake.stop()  # first third of the outage: nothing listens

    def fail(**how: Any) -> None:
        for path in (CUSTOM, *TOKEN_PATHS):
            state.add_fault(path=path, times=1_000_000, **how)

    database = Database(database_url)
    async with httpx.AsyncClient(timeout=5) as http:
        # The client's own quick retries (0.5 s, 1 s) are scaled down like the backoff.
        api = WeChatAPI(http, app_id=app_id, app_secret=secret,
                        base_url=f"http://127.0.0.1:{port}",
                        token_store=DatabaseTokenStore(database, app_id),
                        retry=RetryPolicy(attempts=3, wait_initial=0.5 / TIME_SCALE,
                                          wait_max=5 / TIME_SCALE))
        dispatcher = Dispatcher(database, api, DispatchConfig(
            backoff_seconds=30 / TIME_SCALE, backoff_max_seconds=300 / TIME_SCALE,
            lease_seconds=120 / TIME_SCALE * 10, rate_per_second=None))
        began = time.monotonic()
        phase = 0
        recovered_at: float | None = None
        caught_up: float | None = None
        while caught_up is None:
            elapsed = time.monotonic() - began
            if phase == 0 and elapsed >= down / 3:
                fake = FakeWeChatServer(state, port=port)
                fake.start()
                fail(status=503)
                phase = 1
            if phase == 1 and elapsed >= 2 * down / 3:
                state.faults.clear()
                fail(errcode=-1)
                phase = 2
            if phase == 2 and elapsed >= down:
                state.faults.clear()
                recovered_at = time.monotonic()
                phase = 3
            # One batch a tick: drain() would keep claiming rows whose scaled
            # backoff is shorter than a batch of failing sends.
            await dispatcher.run_once()
            if recovered_at is not None and (await database.run(_unsent)) == 0:
                caught_up = time.monotonic() - recovered_at
            await asyncio.sleep(10 / TIME_SCALE)  # the 10 s dispatch interval, scaled
            if elapsed > down * 10:
                break
    database.close()
    fake.stop()
    delivered = Counter(call.body["text"]["content"] for call in state.calls
                        if call.path == CUSTOM and call.errcode == 0)
    statuses = _statuses(database_url)
    return {
        "messages": messages,
        "down_seconds": down,
        "delivered": len(delivered),
        "lost": messages - len(delivered),
        "doubled": sum(1 for count in delivered.values() if count > 1),
        "failed": statuses.get("failed", 0),
        "failed_calls_during_outage": sum(1 for call in state.calls if call.errcode != 0),
        "seconds_to_catch_up": round(caught_up, 2) if caught_up is not None else None,
    }


def _unsent(session: Any) -> int:
    from app.models import OutboxMessage

    return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status != "sent")) or 0)


# --------------------------------------------------------------------------- kills


def _dispatch_forever(database_url: str, api_base: str, app_id: str, secret: str) -> None:
    import httpx

    from app.db import Database
    from app.outbox.dispatcher import DispatchConfig, Dispatcher
    from app.wechat.api import WeChatAPI
    from app.wechat.token_store import DatabaseTokenStore

    async def run() -> None:
        database = Database(database_url)
        async with httpx.AsyncClient(timeout=10) as http:
            api = WeChatAPI(http, app_id=app_id, app_secret=secret, base_url=api_base,
                            token_store=DatabaseTokenStore(database, app_id, poll_seconds=0.01))
            dispatcher = Dispatcher(database, api, DispatchConfig(
                template_id=TEMPLATE_ID, batch_size=25, concurrency=8,
                lease_seconds=KILL_LEASE_SECONDS, rate_per_second=50.0))
            while True:
                if not (await dispatcher.run_once()).claimed:
                    await asyncio.sleep(0.05)

    asyncio.run(run())


def _holds_rows(database_url: str, pid: int | None) -> bool:
    from app.db import Database
    from app.models import OutboxMessage

    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return bool(session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status == "sending", OutboxMessage.claimed_by.like(f"%:{pid}:%"))))
    finally:
        database.close()


class _Dispatching(Protocol):
    """A dispatching process, as _holds_rows finds its claims."""

    pid: int | None


def _kills(database_url: str, messages: int, kills: int, seed: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")

    def start(api_base: str, app_id: str, secret: str) -> _Dispatching:
        process = context.Process(target=_dispatch_forever,
                                  args=(database_url, api_base, app_id, secret))
        process.start()
        return process

    def kill(process: Any) -> None:
        process.kill()
        process.join()

    return _interrupted(database_url, messages, kills, seed, start, kill, end=kill)


def _stops(database_url: str, messages: int, stops: int, seed: int) -> dict[str, Any]:
    def start(api_base: str, app_id: str, secret: str) -> _Dispatching:
        env = {**os.environ, "HONGXIN_DATABASE_URL": database_url,
               "HONGXIN_WECHAT_API_BASE": api_base, "HONGXIN_WECHAT_APP_ID": app_id,
               "HONGXIN_WECHAT_APP_SECRET": secret, "HONGXIN_REMINDER_TEMPLATE_ID": TEMPLATE_ID,
               "HONGXIN_DISPATCH_INTERVAL_SECONDS": "0.05"}
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(process: Any) -> None:
        process.terminate()
        process.wait(timeout=30)

    def kill(process: Any) -> None:
        process.kill()
        process.wait()

    return _interrupted(database_url, messages, stops, seed, start, stop, end=kill)


def _interrupted(database_url: str, messages: int, times: int, seed: int,
                 start: Callable[[str, str, str], _Dispatching],
                 interrupt: Callable[[Any], None], *, end: Callable[[Any], None]
                 ) -> dict[str, Any]:
    """Two dispatching processes, one interrupted mid-batch ``times`` times and restarted;
    ``end`` stops one for good."""
    from app.fakewechat import DEV_APPS, FakeWeChatServer

    app_id, secret = next(iter(DEV_APPS.items()))
    now = datetime.now(UTC) - timedelta(seconds=1)
    _prepare(database_url, [now] * messages, template_share=0.25)
    rng = random.Random(seed)
    with FakeWeChatServer() as fake:
        for path in (CUSTOM, TEMPLATE):  # sends take a moment, as real ones do
            fake.state.add_fault(path=path, times=1_000_000, delay=0.02)
        victim, steady = (start(fake.url, app_id, secret), start(fake.url, app_id, secret))
        interrupted = 0
        began = time.monotonic()
        try:
            while _statuses(database_url).get("sent", 0) < messages:
                if time.monotonic() - began > 300:
                    break
                if interrupted < times and _holds_rows(database_url, victim.pid):
                    time.sleep(rng.uniform(0.0, 0.3))
                    interrupt(victim)
                    interrupted += 1
                    victim = start(fake.url, app_id, secret)
                time.sleep(0.02)
        finally:
            for process in (victim, steady):
                end(process)
        seconds = time.monotonic() - began
        custom = Counter(call.body["text"]["content"] for call in fake.state.calls
                         if call.path == CUSTOM and call.errcode == 0)
        templates = Counter(call.body["client_msg_id"] for call in fake.state.calls
                            if call.path == TEMPLATE and call.errcode == 0)
        shown_templates = len(fake.state.sent_templates)
    return {
        "messages": messages,
        "interruptions": interrupted,
        "seed": seed,
        "seconds": round(seconds, 2),
        "delivered": len(custom) + shown_templates,
        "lost": messages - len(custom) - shown_templates,
        "doubled": sum(1 for count in custom.values() if count > 1),
        "template_repeats_dropped": sum(count - 1 for count in templates.values()),
        "reclaimed": _reclaimed(database_url),
    }


def _reclaimed(database_url: str) -> int:
    from app.db import Database
    from app.models import OutboxMessage

    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.attempts > 1)) or 0)
    finally:
        database.close()


# --------------------------------------------------------------------------- main


def main(down_seconds: float = 60.0, messages: int = 200, kill_messages: int = 1000,
         kills: int = 8, database_url: str | None = None,
         seed: int | None = None) -> dict[str, Any]:
    """Run both scenarios; returns ``{"outage": {...}, "kills": {...}}``."""
    # Every failed call of the outage would be a warning line.
    logging.getLogger("app.wechat.api").setLevel(logging.ERROR)
    with bench_database(database_url, "faults") as url:
        outage = asyncio.run(_outage(url, down_seconds, messages))
        seed = seed if seed is not None else random.randrange(2**32)
        killed = _kills(url, kill_messages, kills, seed)
        stopped = _stops(url, kill_messages, kills, seed)
    print(f"outage: platform down {down_seconds:g} s (an hour at 1/{TIME_SCALE:g} time); "
          f"{outage['delivered']} of {outage['messages']} delivered, lost {outage['lost']}, "
          f"doubled {outage['doubled']}, failed {outage['failed']}; "
          f"{outage['failed_calls_during_outage']} failed calls; caught up "
          f"{outage['seconds_to_catch_up']} s after the platform came back")
    for name, figures in (("SIGKILL", killed), ("SIGTERM", stopped)):
        print(f"{figures['interruptions']} {name}s: {figures['delivered']} of "
              f"{figures['messages']} delivered in {figures['seconds']} s, lost "
              f"{figures['lost']}, customer-service doubled {figures['doubled']}, template "
              f"repeats dropped by the platform {figures['template_repeats_dropped']}, rows "
              f"reclaimed {figures['reclaimed']}")
    return {"outage": outage, "kills": killed, "stops": stopped}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", type=float, default=60.0)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--kill-messages", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--database", default=None)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    main(options.down, options.messages, options.kill_messages, options.kills,
         options.database, options.seed)
