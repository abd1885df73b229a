"""Scheduled jobs, `hongxin worker`, `hongxin menu push` and `hongxin outbox`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cli import main
from app.db import Database
from app.fakewechat import DEV_APPS
from app.lessons.links import ReadingLinks
from app.models import InboundMessage, OutboxMessage
from app.outbox.service import enqueue
from app.scheduler import jobs
from app.scheduler.runner import build_scheduler
from app.settings import Settings
from app.wechat.api import WeChatAPI
from app.wechat.menu import MENU_KEYS
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, FakeControl
from tests.support.units import run_unit

NOW = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def count(database: Database, model: type[object]) -> int:
    return run_unit(database, lambda s: s.scalar(select(func.count()).select_from(model)) or 0)


def test_housekeeping_drops_old_claims_and_runs_hooks(database: Database,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def work(session: Session) -> None:
        for n, age in enumerate((timedelta(days=3), timedelta(hours=47))):
            session.add(InboundMessage(dedup_key=f"k{n}", nonce_key=f"n{n}", body_digest="d",
                                       received_at=NOW - age, reply=""))

    run_unit(database, work)
    seen: list[datetime] = []
    monkeypatch.setattr(jobs, "HOUSEKEEPING_HOOKS", {})
    jobs.register_housekeeping("quiz_attempts", lambda _s, now: seen.append(now) or 7)
    done = run_unit(database, lambda s: jobs.housekeeping(s, NOW))
    assert done["inbound_messages"] == 1 and done["quiz_attempts"] == 7
    assert seen == [NOW]
    assert count(database, InboundMessage) == 1


LINKS = ReadingLinks("https://hx.example", "test-link-key")


def test_daily_lesson_is_queued_once_for_members_it_can_reach(database: Database) -> None:
    from app.models import Lesson

    today = date(2026, 11, 22)

    def setup(session: Session) -> dict[str, int]:
        session.add(Lesson(title="学习党章", summary="第一章 党员", link="https://example.com/1",
                           publish_date=today, created_at=NOW, body="", tags=[]))
        recent = NOW - timedelta(hours=47)
        members = {
            "wants": create_member(session, daily_push=True, last_interaction_at=recent),
            "also": create_member(session, daily_push=True, last_interaction_at=NOW),
            "opted_out": create_member(session, daily_push=False, last_interaction_at=NOW),
            "unfollowed": create_member(session, daily_push=True, subscribed=False,
                                        last_interaction_at=NOW),
            # The platform refuses customer-service messages after 48 hours: not queued.
            "silent": create_member(session, daily_push=True,
                                    last_interaction_at=NOW - timedelta(hours=49)),
        }
        return {name: member.id for name, member in members.items()}

    ids = run_unit(database, setup)
    queue = partial(jobs.queue_daily_lesson, today=today, now=NOW, links=LINKS)
    assert run_unit(database, queue) == 2
    # Another process (or a catch-up run) on the same day adds nothing.
    assert run_unit(database, queue) == 0
    rows = run_unit(database, lambda s: list(s.scalars(select(OutboxMessage))))
    assert {r.kind for r in rows} == {"daily_lesson"}
    assert {r.member_id for r in rows} == {ids["wants"], ids["also"]}
    for row in rows:
        link = row.payload["articles"][0]["url"]
        # Each member's own page link, so opening it counts their reading.
        lesson_id = int(link.split("/lessons/")[1].split("?")[0])
        assert LINKS.member(lesson_id, link.split("?r=")[1]) == row.member_id
        assert "学习党章" in row.payload["text"] and link in row.payload["text"]
        # Never a template message: the platform does not allow them for content pushes.
        assert "template_data" not in row.payload


def test_scheduler_jobs_and_triggers(database: Database) -> None:
    settings = Settings.model_validate({"database_url": "sqlite://", "timezone": "Asia/Shanghai",
                                        "dispatch_interval_seconds": 7,
                                        "daily_lesson_cron": "30 7 * * *"})
    api = WeChatAPI.__new__(WeChatAPI)  # never called: the scheduler is not started
    scheduler = build_scheduler(settings, database, api)
    by_id = {job.id: job for job in scheduler.apscheduler.get_jobs()}
    assert {"dispatch", "daily_lesson", "housekeeping"} <= set(by_id)
    dispatch = by_id["dispatch"].trigger
    assert isinstance(dispatch, IntervalTrigger) and dispatch.interval == timedelta(seconds=7)
    cron = by_id["daily_lesson"].trigger
    assert isinstance(cron, CronTrigger)
    zone = ZoneInfo("Asia/Shanghai")
    fire = cron.get_next_fire_time(None, datetime(2026, 11, 22, 6, 0, tzinfo=zone))
    assert fire == datetime(2026, 11, 22, 7, 30, tzinfo=zone)


# --------------------------------------------------------------------------- commands


APPID, SECRET = next(iter(DEV_APPS.items()))


def command_env(database_url: str, fake: FakeControl, **extra: str) -> dict[str, str]:
    return {**os.environ, "HONGXIN_DATABASE_URL": database_url,
            "HONGXIN_WECHAT_API_BASE": fake.url, "HONGXIN_WECHAT_APP_ID": APPID,
            "HONGXIN_WECHAT_APP_SECRET": SECRET, **extra}


def worker_stopped_once(database_url: str, fake: FakeControl,
                        ready: Callable[[], bool]) -> int | None:
    """Run ``hongxin worker`` until ``ready()``, stop it with SIGTERM; its exit code."""
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"],
                              env=command_env(database_url, fake,
                                              HONGXIN_DISPATCH_INTERVAL_SECONDS="0.2"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    return worker.returncode


def test_worker_sends_due_messages_without_http(database_url: str, database: Database,
                                                fake: FakeControl) -> None:
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        member = create_member(session, openid="oWorker00000000000000000000001")
        enqueue(session, dedup_key="worker:1", kind="event_reminder", member_id=member.id,
                payload={"text": "活动提醒"}, due_at=now, now=now)

    run_unit(database, work)
    assert worker_stopped_once(database_url, fake, lambda: bool(fake.delivered(CUSTOM))) == 0
    (call,) = fake.delivered(CUSTOM)
    assert call["body"]["text"]["content"] == "活动提醒"


def test_a_worker_stopped_mid_batch_records_every_send_under_way(
        database_url: str, database: Database, fake: FakeControl) -> None:
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        for n in range(12):
            member = create_member(session, openid=f"oStop{n:025d}")
            enqueue(session, dedup_key=f"stop:{n}", kind="event_reminder", member_id=member.id,
                    payload={"text": f"提醒 {n}"}, due_at=now, now=now)

    run_unit(database, work)
    fake.fault(CUSTOM, delay=1.0, times=100)  # every send takes a second to be answered
    # Stopped as soon as a send is under way.
    assert worker_stopped_once(database_url, fake, lambda: bool(fake.calls(CUSTOM))) == 0
    deadline = time.monotonic() + 10
    while any(call["errcode"] is None for call in fake.calls(CUSTOM)):  # still being answered
        assert time.monotonic() < deadline
        time.sleep(0.05)

    def outcomes(session: Session) -> dict[str, str]:
        return {row.payload["text"]: row.status for row in session.scalars(select(OutboxMessage))}

    statuses = run_unit(database, outcomes)
    accepted = {call["body"]["text"]["content"] for call in fake.delivered(CUSTOM)}
    # What the platform took is recorded as sent, so no other process sends it again;
    # the rest is free for the next claim, not held until a lease runs out.
    assert accepted and {statuses[text] for text in accepted} == {"sent"}
    assert {status for text, status in statuses.items() if text not in accepted} <= {"pending"}


def test_menu_push_creates_the_four_click_keys(database_url: str, fake: FakeControl) -> None:
    result = subprocess.run([sys.executable, "-m", "app.cli", "menu", "push"],
                            env=command_env(database_url, fake), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    (call,) = fake.calls("/cgi-bin/menu/create")
    assert call["errcode"] == 0
    keys = [leaf["key"] for button in call["body"]["button"]
            for leaf in button.get("sub_button", [button])]
    assert sorted(keys) == sorted(MENU_KEYS)


def test_outbox_command_shows_counts_and_retries_failed(
    database_url: str, database: Database, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        member = create_member(session)
        for n in range(3):
            enqueue(session, dedup_key=f"cli:{n}", kind="event_reminder", member_id=member.id,
                    payload={"text": "x"}, due_at=now, now=now)
        for row in session.scalars(select(OutboxMessage)).all()[:2]:
            row.status, row.last_error, row.last_errcode = "failed", "errcode 40003", 40003

    run_unit(database, work)
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert main(["outbox"]) == 0
    shown = capsys.readouterr().out
    assert "failed" in shown and "errcode 40003" in shown
    assert any(line.split() == ["failed", "2"] for line in shown.splitlines())
    assert main(["outbox", "retry", "--all-failed"]) == 0
    assert "2 message(s)" in capsys.readouterr().out
    statuses = run_unit(database, lambda s: list(s.scalars(select(OutboxMessage.status))))
    assert statuses == ["pending"] * 3
