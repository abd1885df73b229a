"""`hongxin serve` and `hongxin chat` as a developer runs them (`make run`, then chat)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import DEV_APPS
from app.models import Lesson
from app.outbox.service import enqueue
from bots import texts
from tests.conftest import empty_tables
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, FakeControl
from tests.support.servers import hongxin_process
from tests.support.units import run_unit
from tests.support.wechat import APP_ID, TOKEN

APPID, SECRET = next(iter(DEV_APPS.items()))


@pytest.fixture
def sqlite_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQLite test database, emptied afterwards; what it is served on does not matter here."""
    # The servers below must fall back to their defaults, whatever this shell has set.
    monkeypatch.delenv("HONGXIN_PUBLIC_URL", raising=False)
    yield sqlite_url
    empty_tables(sqlite_url)


def chat(url: str, database_url: str, lines: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "chat", "--url", url], input=lines,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
             "HONGXIN_WECHAT_APP_ID": APP_ID})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_chat_takes_the_server_address_or_the_callback_url(sqlite_database: str,
                                                           tmp_path: Path) -> None:
    env = {"HONGXIN_DATABASE_URL": sqlite_database, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID}
    with hongxin_process(["serve", "--no-scheduler"], env,
                         log_path=tmp_path / "serve.log") as base:
        for url in (base, f"{base}/", f"{base}/wechat"):
            reply = chat(url, sqlite_database, "帮助\n")
            assert texts.HELP.splitlines()[0] in reply, (url, reply)
    # At the default level, routine callbacks are in the metrics, not the log.
    assert "callback kind=" not in (tmp_path / "serve.log").read_text()


def test_log_level_debug_logs_every_callback(sqlite_database: str, tmp_path: Path) -> None:
    env = {"HONGXIN_DATABASE_URL": sqlite_database, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_LOG_LEVEL": "debug"}
    with hongxin_process(["serve", "--no-scheduler"], env,
                         log_path=tmp_path / "serve.log") as base:
        assert texts.HELP.splitlines()[0] in chat(base, sqlite_database, "帮助\n")
    logged = (tmp_path / "serve.log").read_text()
    assert "DEBUG hongxin.callback callback kind=text handler=keyword:帮助" in logged


def test_an_unknown_log_level_is_refused_by_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"], capture_output=True, text=True,
        timeout=60, env={**os.environ, "HONGXIN_LOG_LEVEL": "loud"})
    assert result.returncode == 2
    assert "HONGXIN_LOG_LEVEL" in result.stderr


def test_lesson_links_follow_the_port_serve_was_given(sqlite_database: str,
                                                      tmp_path: Path) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    def add_lesson(session: Session) -> int:
        lesson = Lesson(title="学习党章", summary="第一章 党员", link="", publish_date=today,
                        created_at=datetime.now(UTC), body="党章全文", tags=[])
        session.add(lesson)
        session.flush()
        return lesson.id

    database = Database(sqlite_database)
    try:
        lesson_id = run_unit(database, add_lesson)
    finally:
        database.close()
    env = {"HONGXIN_DATABASE_URL": sqlite_database, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID}
    with hongxin_process(["serve", "--no-scheduler"], env,
                         log_path=tmp_path / "serve.log") as base:
        reply = chat(base, sqlite_database, "学习\n")
    # hongxin_process serves on a free port, never the default 8000.
    assert not base.endswith(":8000")
    assert f"{base}/lessons/{lesson_id}" in reply, reply


def written_lines(log_path: Path, after: int) -> list[str]:
    return log_path.read_text(errors="replace")[after:].splitlines()


def test_the_scheduler_logs_what_it_sends_and_nothing_else(
        sqlite_database: str, fake: FakeControl, tmp_path: Path) -> None:
    interval = 0.2
    env = {"HONGXIN_DATABASE_URL": sqlite_database, "HONGXIN_WECHAT_API_BASE": fake.url,
           "HONGXIN_WECHAT_APP_ID": APPID, "HONGXIN_WECHAT_APP_SECRET": SECRET,
           "HONGXIN_DISPATCH_INTERVAL_SECONDS": str(interval)}
    log_path = tmp_path / "serve.log"
    with hongxin_process(["serve"], env, log_path=log_path):
        time.sleep(10 * interval)  # start-up's own lines are written by now
        started = len(log_path.read_text(errors="replace"))
        time.sleep(15 * interval)
        assert written_lines(log_path, started) == [], "an idle scheduler should be quiet"

        now = datetime.now(UTC)

        def due_reminder(session: Session) -> None:
            member = create_member(session, openid="oQuietLog000000000000000000001")
            enqueue(session, dedup_key="quiet-log:1", kind="event_reminder",
                    member_id=member.id, payload={"text": "活动提醒"}, due_at=now, now=now)

        database = Database(sqlite_database)
        try:
            run_unit(database, due_reminder)
        finally:
            database.close()
        deadline = time.monotonic() + 20
        while not fake.delivered(CUSTOM):
            assert time.monotonic() < deadline, "the reminder was not sent"
            time.sleep(interval)
        time.sleep(10 * interval)
        sent_lines = written_lines(log_path, started)
    # One line for the send, beside the one for the access token it fetched first.
    about_the_send = [line for line in sent_lines if "access token" not in line]
    assert len(about_the_send) == 1, sent_lines
    assert "sent 1" in about_the_send[0]
    assert "apscheduler" not in log_path.read_text(errors="replace")
