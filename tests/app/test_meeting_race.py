"""Attendance is decided by the database: check-ins, 请假 and the closing of a meeting
raced from many threads over several connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.events.attendance import close_ended_meetings, request_leave
from app.events.signups import check_in
from app.main import create_app
from app.models import Attendance
from tests.app.conftest import make_settings
from tests.support.meetings import ADMIN, Party, build_party
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


@pytest.fixture
def party(database_url: str, database: Database) -> Iterator[Party]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield build_party(client, database)


@pytest.fixture
def databases(database_url: str) -> Iterator[list[Database]]:
    opened = [Database(database_url) for _ in range(4)]
    yield opened
    for database in opened:
        database.close()


def race(databases: list[Database], jobs: list[Callable[[Session], T]]) -> list[T]:
    start = threading.Barrier(len(jobs))

    def run(index: int) -> T:
        start.wait(timeout=30)
        return run_unit(databases[index % len(databases)], jobs[index])

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, range(len(jobs))))


def test_one_check_in_each_whatever_the_order(party: Party, databases: list[Database]) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    number = meeting["id"]
    people = [party.members[name] for name in ("张书记", "王党员", "孙组长")]
    now = datetime.now(UTC)
    jobs: list[Callable[[Session], str]] = []
    for member_id in people:
        for _ in range(4):
            jobs.append(lambda s, m=member_id: check_in(s, m, number, now, ZONE).outcome)
            jobs.append(lambda s, m=member_id: request_leave(s, m, number, "临时有事", now,
                                                             ZONE).outcome)
    outcomes = race(databases, jobs)
    check_ins = Counter(outcomes[index] for index in range(0, len(jobs), 2))
    assert check_ins == {"checked_in": 3, "already_checked_in": 9}
    assert set(outcomes[1::2]) <= {"granted", "checked_in"}
    with party.database.unit_of_work() as session:
        statuses = session.scalars(select(Attendance.status)
                                   .where(Attendance.event_id == number)).all()
    assert sorted(statuses) == ["present"] * 3


def test_a_meeting_closes_once(party: Party, databases: list[Database]) -> None:
    meeting = party.meeting()
    party.move_start(meeting["id"], timedelta(hours=-5))
    now = datetime.now(UTC)
    zone = ZoneInfo("Asia/Shanghai")
    closed = race(databases, [lambda s: close_ended_meetings(s, now, zone)] * 8)
    assert sum(closed) == 1
    with party.database.unit_of_work() as session:
        statuses = session.scalars(select(Attendance.status)
                                   .where(Attendance.event_id == meeting["id"])).all()
    assert sorted(statuses) == ["absent"] * 3
