"""A dispatcher process SIGKILLed mid-batch again and again, then two: nothing is lost.

The killed process's rows stay ``sending`` until their (two-second) lease runs
out and are then claimed again. A message the platform had already accepted
when its sender died therefore goes out twice: customer-service messages have
no idempotency key, so the member sees both; template messages carry
``client_msg_id`` and the platform drops the repeat. The test counts every
delivery in the fake platform's log, asserts that none is missing, that the
template repeats were dropped, and that every double is such a reclaimed row,
at most one per send in flight at a kill. The second, steady dispatcher joins
after the last kill: started at once, on a busy machine it could send
everything before the victim had been killed often enough.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.models import OutboxMessage
from app.outbox.service import enqueue
from tests.app.test_outbox import APPID, SECRET, TEMPLATE_ID
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, TEMPLATE, FakeControl
from tests.support.units import run_unit

ROOT = Path(__file__).resolve().parents[2]
CUSTOM_MESSAGES, TEMPLATE_MESSAGES = 450, 150
KILLS = 6
CONCURRENCY = 8  # tests/support/dispatch_process.py's


def queue_reminders(database: Database) -> None:
    now = datetime.now(UTC)

    def work(session: Session) -> None:
        for n in range(CUSTOM_MESSAGES + TEMPLATE_MESSAGES):
            # Interleaved, so that kills find template sends in flight too.
            in_window = n % 4 != 3
            member = create_member(
                session, openid=f"oKill{n:025d}",
                last_interaction_at=now - (timedelta(minutes=5) if in_window
                                           else timedelta(hours=49)))
            enqueue(session, dedup_key=f"kill:{n}", kind="event_reminder", member_id=member.id,
                    payload={"text": f"活动提醒 {n}",
                             "template_data": {"thing1": f"活动 {n}", "time2": "明天 09:00",
                                               "thing3": "党员活动室"}},
                    due_at=now - timedelta(seconds=1), now=now)

    run_unit(database, work)


def counts(database: Database) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        return dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all())

    return run_unit(database, work)


def claimed_by_pid(database: Database, pid: int) -> int:
    def work(session: Session) -> int:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by.like(f"%:{pid}:%"))) or 0

    return run_unit(database, work)


def test_dispatcher_killed_at_random_loses_nothing(
    database_url: str, database: Database, fake_server: FakeWeChatServer, fake: FakeControl
) -> None:
    queue_reminders(database)
    # Each send takes a little while on the platform, as real ones do: kills land mid-send.
    fake.fault(CUSTOM, delay=0.02, times=100_000)
    fake.fault(TEMPLATE, delay=0.02, times=100_000)
    command = [sys.executable, "-m", "tests.support.dispatch_process", database_url, fake.url,
               APPID, SECRET, TEMPLATE_ID]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    victim: subprocess.Popen[bytes] = start()
    steady: subprocess.Popen[bytes] | None = None
    kills = 0
    started = time.monotonic()
    try:
        while counts(database).get("sent", 0) < CUSTOM_MESSAGES + TEMPLATE_MESSAGES:
            assert time.monotonic() - started < 120, (f"seed {seed}", counts(database))
            assert victim.poll() is None and (steady is None or steady.poll() is None)
            if kills < KILLS and claimed_by_pid(database, victim.pid):
                time.sleep(rng.uniform(0.0, 0.3))  # somewhere in the middle of its batch
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
                victim = start()
                if kills == KILLS:
                    steady = start()
            time.sleep(0.02)
    finally:
        for process in (victim, steady):
            if process is not None:
                process.kill()
                process.wait()
    seconds = time.monotonic() - started

    assert kills == KILLS
    assert counts(database) == {"sent": CUSTOM_MESSAGES + TEMPLATE_MESSAGES}
    custom = Counter(call["body"]["text"]["content"] for call in fake.delivered(CUSTOM))
    assert set(custom) == {f"活动提醒 {n}" for n in range(CUSTOM_MESSAGES + TEMPLATE_MESSAGES)
                           if n % 4 != 3}  # none lost
    template_calls = Counter(call["body"]["client_msg_id"] for call in fake.delivered(TEMPLATE))
    # The platform shows a member one message per client_msg_id.
    shown = {key for (_, key) in fake_server.state.sent_templates}
    assert shown == set(template_calls) and len(shown) == TEMPLATE_MESSAGES

    doubled = {text for text, times in custom.items() if times > 1}
    attempts = {f"活动提醒 {n}": row_attempts for n, row_attempts in enumerate(
        run_unit(database, lambda session: list(session.scalars(
            select(OutboxMessage.attempts).order_by(OutboxMessage.id)))))}
    assert all(attempts[text] >= 2 for text in doubled)  # each double was a reclaimed row
    # A message goes out at most once per claim of its row, and only a kill makes
    # a claim end unrecorded: a row in flight at two kills may go out three times.
    assert all(times <= attempts[text] for text, times in custom.items())
    assert sum(times - 1 for times in custom.values()) <= kills * CONCURRENCY
    repeats = sum(times - 1 for times in template_calls.values())
    print(f"\nkill test seed={seed}: {CUSTOM_MESSAGES + TEMPLATE_MESSAGES} messages, "
          f"{kills} kills, {seconds:.1f} s; lost 0; customer-service doubled {len(doubled)}; "
          f"template repeats {repeats} (dropped by client_msg_id); "
          f"reclaimed rows {sum(1 for a in attempts.values() if a >= 2)}")
