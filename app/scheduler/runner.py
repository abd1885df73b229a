"""The AsyncIOScheduler inside ``hongxin serve`` (unless ``--no-scheduler``) and ``hongxin worker``.

Jobs are held in memory and only tick: what is due lives in the database, so a
restart loses nothing, and several processes may tick together (dedup keys
and the outbox's leased claims make each message go out once).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.db import Database
from app.lessons.links import ReadingLinks
from app.members import unionids
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.scheduler import jobs
from app.settings import Settings
from app.wechat.api import WeChatAPI
from app.wechat.clients import standalone_wechat_client

log = logging.getLogger("hongxin.scheduler")

HOUSEKEEPING_INTERVAL = timedelta(hours=1)
# New followers' unionids are asked for this often (never inside a callback).
UNIONID_INTERVAL = timedelta(minutes=1)
# Attendance turns final this long after a meeting ends at the latest.
MEETINGS_INTERVAL = timedelta(minutes=10)
# A process that starts (or was down) shortly after the daily push time still pushes.
DAILY_LESSON_CATCH_UP = timedelta(hours=3)
# One tick sends at most this many batches, so the next tick is not starved.
MAX_BATCHES_PER_TICK = 50
# How long a stopping process waits for the sends under way to be answered and
# recorded; inside the 10 s a container gets between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 8.0


class Jobs:
    def __init__(self, settings: Settings, database: Database, api: WeChatAPI,
                 mp_api: WeChatAPI | None = None) -> None:
        self.settings = settings
        self.database = database
        self.api = api
        self.dispatcher = Dispatcher(
            database, api,
            DispatchConfig(template_id=settings.reminder_template_id,
                           subscribe_template_id=settings.mp_reminder_template_id),
            mp_api=mp_api)
        self._dispatching = asyncio.Lock()

    async def dispatch(self) -> None:
        async with self._dispatching:
            stats = await self.dispatcher.drain(max_batches=MAX_BATCHES_PER_TICK)
        if stats.claimed:
            log.info("dispatched %d: sent %d, retry %d, failed %d, unsendable %d",
                     stats.claimed, stats.sent, stats.retried, stats.failed, stats.unsendable)

    async def finish(self, grace: float) -> None:
        """Let a dispatch under way record what it sent, for up to ``grace`` seconds.

        A send the platform accepted but the process never recorded would go out
        again once its lease runs out: a customer-service message has no key the
        platform could drop a repeat by. Killed outright (SIGKILL) that can still
        happen; stopped (SIGTERM), the process waits for its answers first.
        """
        self.dispatcher.stop()
        try:
            async with asyncio.timeout(grace), self._dispatching:
                pass
        except TimeoutError:
            log.warning("stopping with sends still unanswered after %.0f s; their rows go "
                        "out again when their lease runs out", grace)

    async def daily_lesson(self) -> None:
        now = datetime.now(UTC)
        today = now.astimezone(self.settings.zone).date()
        await self.database.run(partial(jobs.queue_daily_lesson, today=today, now=now,
                                        links=ReadingLinks.from_settings(self.settings)))
        await self.dispatch()

    async def learn_unionids(self) -> None:
        found = await unionids.learn_unionids(self.database, self.api, datetime.now(UTC),
                                              self.settings.zone)
        if found.asked:
            log.info("unionids: asked %d, linked %d, none given for %d", found.asked,
                     found.linked, found.without_unionid)
    async def meetings(self) -> None:
        """Close the attendance of ended meetings; remind 书记 of meetings still missing."""
        done = await self.database.run(partial(jobs.meetings, now=datetime.now(UTC),
                                               zone=self.settings.zone))
        if any(done.values()):
            log.info("meetings: %s", done)

    async def housekeeping(self) -> None:
        done = await self.database.run(partial(jobs.housekeeping, now=datetime.now(UTC)))
        if any(done.values()):
            log.info("housekeeping: %s", done)


def daily_lesson_trigger(settings: Settings) -> CronTrigger:
    return CronTrigger.from_crontab(settings.daily_lesson_cron, timezone=settings.zone)


class Scheduler:
    """APScheduler's scheduler with the jobs it runs, so that stopping lets the sends
    under way end."""

    def __init__(self, jobs: Jobs, timezone: ZoneInfo) -> None:
        self.jobs = jobs
        self.apscheduler = AsyncIOScheduler(timezone=timezone)

    def start(self) -> None:
        self.apscheduler.start()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        await self.jobs.finish(grace)
        self.apscheduler.shutdown(wait=False)


def build_scheduler(settings: Settings, database: Database, api: WeChatAPI,
                    mp_api: WeChatAPI | None = None) -> Scheduler:
    """A scheduler with the dispatcher, the daily lesson push and housekeeping (not started)."""
    # APScheduler logs at INFO every job it adds, starts and finishes: two lines per
    # dispatcher tick saying nothing happened. The jobs log what they did; its
    # warnings (missed or skipped runs) and errors still come through.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    work = Jobs(settings, database, api, mp_api)
    scheduler = Scheduler(work, settings.zone)
    add_job = scheduler.apscheduler.add_job
    now = datetime.now(settings.zone)
    common = {"max_instances": 1, "coalesce": True}
    add_job(work.dispatch, IntervalTrigger(seconds=settings.dispatch_interval_seconds),
            id="dispatch", next_run_time=now, **common)
    trigger = daily_lesson_trigger(settings)
    add_job(work.daily_lesson, trigger, id="daily_lesson",
            misfire_grace_time=int(DAILY_LESSON_CATCH_UP.total_seconds()), **common)
    last_fire = trigger.get_next_fire_time(None, now - DAILY_LESSON_CATCH_UP)
    if last_fire is not None and last_fire <= now:
        add_job(work.daily_lesson, id="daily_lesson_catch_up", next_run_time=now)
    add_job(work.learn_unionids, IntervalTrigger(seconds=UNIONID_INTERVAL.total_seconds()),
            id="unionids", next_run_time=now, **common)
    add_job(work.meetings, IntervalTrigger(seconds=MEETINGS_INTERVAL.total_seconds()),
            id="meetings", next_run_time=now, **common)
    add_job(work.housekeeping,
            IntervalTrigger(seconds=HOUSEKEEPING_INTERVAL.total_seconds()),
            id="housekeeping", next_run_time=now, **common)
    return scheduler


async def run_worker(settings: Settings) -> None:
    """``hongxin worker``: the scheduler without HTTP, until SIGINT or SIGTERM."""
    database = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with (standalone_wechat_client(settings, database) as api,
                standalone_wechat_client(settings, database, mini_program=True) as mp_api):
        scheduler = build_scheduler(settings, database, api, mp_api)
        scheduler.start()
        log.info("worker running: dispatch every %s s, daily lesson at %r (%s)",
                 settings.dispatch_interval_seconds, settings.daily_lesson_cron,
                 settings.timezone)
        try:
            await stop.wait()
        finally:
            await scheduler.stop()
    database.close()
