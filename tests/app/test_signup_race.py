"""No overbooking, ever: 200 members race for 10 seats on SQLite and on PostgreSQL.

The members come from many threads through several :class:`Database`
instances, each with its own connections (on SQLite its own writer thread,
as separate processes would have), so sign-ups really do meet inside the
database rather than queueing in one Python lock. One more run sends the 200
sign-ups as signed WeChat callbacks to two real ``hongxin serve`` processes.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import Database
from app.events.signups import cancel_signup, sign_up
from app.models import Event, OutboxMessage, Signup
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")
MEMBERS, SEATS, DATABASES, THREADS = 200, 10, 4, 40
T = TypeVar("T")


@pytest.fixture
def databases(database_url: str) -> Iterator[list[Database]]:
    opened = [Database(database_url) for _ in range(DATABASES)]
    yield opened
    for database in opened:
        database.close()


def setup(database: Database) -> tuple[int, list[int]]:
    def work(session: Session) -> tuple[int, list[int]]:
        event = create_event(session, capacity=SEATS)
        members = [create_member(session).id for _ in range(MEMBERS)]
        return event.id, members

    return run_unit(database, work)


def race(databases: list[Database], jobs: list[Callable[[Session], T]]) -> list[T]:
    """Run every job at (nearly) the same moment, spread over the databases."""
    start = threading.Barrier(min(THREADS, len(jobs)))

    def run(index: int) -> T:
        if index < THREADS:
            start.wait(timeout=30)
        return run_unit(databases[index % len(databases)], jobs[index])

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(len(jobs))))


def tally(database: Database, event_id: int) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        rows = session.execute(
            select(Signup.status, func.count()).where(Signup.event_id == event_id)
            .group_by(Signup.status)
        ).all()
        counts = {str(status): int(count) for status, count in rows}
        event = session.get_one(Event, event_id)
        counts["seats_taken"] = event.seats_taken
        counts["reminders"] = int(session.scalar(
            select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "event_reminder", OutboxMessage.status == "pending")
        ) or 0)
        return counts

    return run_unit(database, work)


def test_two_hundred_sign_ups_for_ten_seats(databases: list[Database]) -> None:
    event_id, members = setup(databases[0])
    now = datetime.now(UTC)
    jobs = [lambda s, m=member: sign_up(s, m, event_id, now, ZONE).outcome for member in members]

    outcomes = race(databases, jobs)

    assert outcomes.count("confirmed") == SEATS
    assert outcomes.count("waitlisted") == MEMBERS - SEATS
    counts = tally(databases[0], event_id)
    assert counts["confirmed"] == SEATS
    assert counts["seats_taken"] == SEATS
    assert counts["waitlisted"] == MEMBERS - SEATS
    assert counts["reminders"] == SEATS


def test_same_member_racing_itself_signs_up_once(databases: list[Database]) -> None:
    event_id, members = setup(databases[0])
    now = datetime.now(UTC)
    jobs = [lambda s: sign_up(s, members[0], event_id, now, ZONE).outcome] * 40

    outcomes = race(databases, jobs)

    assert outcomes.count("confirmed") == 1
    assert set(outcomes) == {"confirmed", "already_confirmed"}
    assert tally(databases[0], event_id)["confirmed"] == 1


def test_cancels_racing_sign_ups_never_overbook_nor_leave_seats_idle(
        databases: list[Database]) -> None:
    event_id, members = setup(databases[0])
    now = datetime.now(UTC)
    # The first 10 hold seats; then 150 newcomers race 60 cancels (of holders and of
    # newcomers, who may not have signed up yet), in a shuffled order.
    race(databases, [lambda s, m=m: sign_up(s, m, event_id, now, ZONE) for m in members[:10]])
    newcomers = members[10:160]
    quitters = members[:10] + random.Random(4).sample(newcomers, 50)
    jobs: list[Callable[[Session], object]] = (
        [lambda s, m=m: sign_up(s, m, event_id, now, ZONE).outcome for m in newcomers]
        + [lambda s, m=m: cancel_signup(s, m, event_id, now, ZONE) for m in quitters])
    random.Random(7).shuffle(jobs)

    race(databases, jobs)

    counts = tally(databases[0], event_id)
    assert counts["seats_taken"] == counts["confirmed"] == SEATS
    assert counts.get("waitlisted", 0) > 0
    # One reminder per seat holder; the quitters' reminders were withdrawn.
    assert counts["reminders"] == SEATS

    def check(session: Session) -> None:
        live = session.execute(
            select(Signup.member_id).where(Signup.event_id == event_id,
                                           Signup.status != "cancelled")).scalars().all()
        assert len(live) == len(set(live))
        promoted = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "waitlist_promotion")) or 0
        confirmed_late = session.scalar(select(func.count()).select_from(Signup).where(
            Signup.event_id == event_id, Signup.status == "confirmed",
            Signup.confirmed_at != Signup.created_at)) or 0
        assert promoted >= confirmed_late

    run_unit(databases[0], check)


def test_the_database_refuses_an_overbooking_itself(databases: list[Database]) -> None:
    event_id, _ = setup(databases[0])

    def overbook(session: Session) -> None:
        # A statement, not an ORM flush: a failed flush rolls the whole SQLite
        # group-commit transaction back under the writer's savepoint.
        session.execute(update(Event).where(Event.id == event_id)
                        .values(seats_taken=Event.seats_taken + SEATS + 1))

    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        run_unit(databases[0], overbook)


def test_two_hundred_chat_sign_ups_through_two_real_servers(
        database_url: str, database: Database, tmp_path: Path) -> None:
    """The whole path: signed callbacks from 200 members, spread over two `hongxin serve`."""
    import asyncio

    import httpx

    from tests.support.servers import hongxin_process
    from tests.support.wechat import APP_ID, TOKEN, Platform, message_xml

    event_id = run_unit(database, lambda s: create_event(s, capacity=SEATS).id)
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID}
    platform = Platform()
    with (hongxin_process(["serve", "--no-scheduler"], env, log_path=tmp_path / "a.log") as a,
          hongxin_process(["serve", "--no-scheduler"], env, log_path=tmp_path / "b.log") as b):

        async def everyone() -> list[str]:
            async with httpx.AsyncClient(timeout=30) as http:
                async def one(index: int) -> str:
                    xml = message_xml("text", f"o_race_{index}", content=f"报名 {event_id}")
                    params, body = platform.plain(xml)
                    base = (a, b)[index % 2]
                    response = await http.post(f"{base}/wechat", params=params, content=body)
                    assert response.status_code == 200
                    return response.text

                return list(await asyncio.gather(*(one(i) for i in range(MEMBERS))))

        replies = asyncio.run(everyone())

    assert sum("报名成功" in reply for reply in replies) == SEATS
    assert sum("候补" in reply for reply in replies) == MEMBERS - SEATS
    counts = tally(database, event_id)
    assert counts["confirmed"] == counts["seats_taken"] == SEATS
    assert counts["waitlisted"] == MEMBERS - SEATS
