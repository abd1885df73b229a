"""A database that cannot take writes for longer than WeChat waits: a real `hongxin serve`.

Another connection holds the write lock (SQLite: ``BEGIN IMMEDIATE``, the way a
second process writing would; PostgreSQL: an ``EXCLUSIVE`` table lock, the way
a long migration or a forgotten transaction would) for longer than SQLite's
busy timeout. Meanwhile health must say 503 and callbacks must still answer
``success`` before WeChat's 5 s are up; once the lock is gone the service
recovers, every message is handled (its reply sent as a message), and a retry
of a message is acted on exactly once.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.db import SQLITE_BUSY_TIMEOUT_MS, normalize_url
from app.models import InboundMessage, Member, OutboxMessage
from tests.support.servers import hongxin_process
from tests.support.wechat import APP_ID, TOKEN, Platform, message_xml

# Long enough for SQLite's busy handler to give up on the first unit of work.
LOCK_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000 + 3
WECHAT_PATIENCE = 5.0


@contextlib.contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Hold the database's write lock (for the callbacks' tables) until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            # EXCLUSIVE lets readers through but no writer, like SQLite's write lock.
            connection.execute(text("LOCK TABLE inbound_messages, members IN EXCLUSIVE MODE"))
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def held_in_background(database_url: str, seconds: float) -> tuple[threading.Event,
                                                                    threading.Thread]:
    taken = threading.Event()

    def hold() -> None:
        with write_lock(database_url):
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold, name="lock-holder")
    thread.start()
    assert taken.wait(10), "could not take the write lock"
    return taken, thread


def state_of(database_url: str, openid: str, msg_id: int) -> tuple[bool, bool, int, int]:
    """(member exists, member named 张三, claims of the message, late replies queued)."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as connection:
            name = connection.execute(
                select(Member.name).where(Member.openid == openid)).first()
            claims = connection.scalar(select(func.count()).select_from(InboundMessage)
                                       .where(InboundMessage.dedup_key == f"msg:{msg_id}"))
            late = connection.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.kind == "late_reply",
                                            OutboxMessage.member_id.in_(
                                                select(Member.id)
                                                .where(Member.openid == openid))))
    finally:
        engine.dispose()
    named = name is not None and name[0] == "张三"
    return name is not None, named, int(claims or 0), int(late or 0)


def post(http: httpx.Client, base: str, xml: str) -> tuple[str, float]:
    params, body = Platform().plain(xml)
    started = time.monotonic()
    response = http.post(f"{base}/wechat", params=params, content=body)
    assert response.status_code == 200
    return response.text, time.monotonic() - started


def wait_healthy(http: httpx.Client, base: str, limit: float = 20.0) -> float:
    started = time.monotonic()
    while http.get(f"{base}/healthz").status_code != 200:
        assert time.monotonic() - started < limit, "health did not come back"
        time.sleep(0.1)
    return time.monotonic() - started


def test_write_lock_longer_than_the_budget(database_url: str, tmp_path: Path) -> None:
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID}
    first = ("oLockFirst00000000000000000001", 7_700_001)
    second = ("oLockSecond0000000000000000001", 7_700_002)
    xml = {openid: message_xml("text", openid, content="姓名 张三", msg_id=msg_id)
           for openid, msg_id in (first, second)}
    with (hongxin_process(["serve", "--no-scheduler"], env,
                          log_path=tmp_path / "serve.log") as base,
          httpx.Client(timeout=30) as http):
        assert http.get(f"{base}/healthz").status_code == 200
        locked_at = time.monotonic()
        _, holder = held_in_background(database_url, LOCK_SECONDS)

        answer, seconds = post(http, base, xml[first[0]])
        assert (answer, seconds < WECHAT_PATIENCE) == ("success", True), seconds
        health = http.get(f"{base}/healthz")
        assert health.status_code == 503 and health.json()["detail"] == "database"
        # Sent while the first unit still waits: on SQLite it queues behind it.
        answer, seconds = post(http, base, xml[second[0]])
        assert (answer, seconds < WECHAT_PATIENCE) == ("success", True), seconds
        assert time.monotonic() - locked_at < LOCK_SECONDS, "the test itself was too slow"

        holder.join()
        recovered = wait_healthy(http, base)
        assert recovered < 5.0

        # Neither message is lost: a unit that could not even begin (SQLite's busy
        # timeout ran out first) waits and runs again, and both go the late way
        # (answered "success", reply queued as a message).
        for message in (first, second):
            for _ in range(50):
                if state_of(database_url, *message)[2]:
                    break
                time.sleep(0.1)
            assert state_of(database_url, *message) == (True, True, 1, 1)

        # WeChat delivers each message again: acted on once, with the stored answer.
        for message in (first, second):
            retry, seconds = post(http, base, xml[message[0]])
            assert (retry, seconds < 1.0) == ("success", True)
            assert state_of(database_url, *message) == (True, True, 1, 1)
