"""No overbooking, ever: 200 members race for 10 seats on SQLite and on PostgreSQL.

The members come from many threads through several :class:`Database`
instances, each with its own connections (on SQLite its own writer thread,
as separate processes would have), so sign-ups really do meet inside the
database rather than queueing in one Python lock.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import Database
from app.events.signups import cancel_signup, sign_up
from app.models import Event, OutboxMessage, Signup
from tests.support.factories import create_event, create_member

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

    return database.run_sync(work)


def race(databases: list[Database], jobs: list[Callable[[Session], T]]) -> list[T]:
    """Run every job at (nearly) the same moment, spread over the databases."""
    start = threading.Barrier(min(THREADS, len(jobs)))

    def run(index: int) -> T:
        if index < THREADS:
            start.wait(timeout=30)
        return databases[index % len(databases)].run_sync(jobs[index])

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

    return database.run_sync(work)


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

    databases[0].run_sync(check)


def test_the_database_refuses_an_overbooking_itself(databases: list[Database]) -> None:
    event_id, _ = setup(databases[0])

    def overbook(session: Session) -> None:
        # A statement, not an ORM flush: a failed flush rolls the whole SQLite
        # group-commit transaction back under the writer's savepoint.
        session.execute(update(Event).where(Event.id == event_id)
                        .values(seats_taken=Event.seats_taken + SEATS + 1))

    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        databases[0].run_sync(overbook)
