"""Roster imports that meet: the same new orgs and people, uploaded at the same moment.

Two apps (two :class:`Database` instances, as two ``hongxin serve`` processes
would have) each take three uploads at once, every file naming the same new
root and 支部 and one person in common. Each upload succeeds, the tree gets
each org once, and the shared person is on the roster once. (SQLite runs
writers one at a time, so there the race can only be lost on PostgreSQL.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.main import create_app
from app.models import Org, RosterEntry
from tests.app.conftest import make_settings
from tests.support.units import run_unit

ADMIN = "roster-race-admin"
APPS, UPLOADS_PER_APP = 2, 3


@pytest.fixture
def clients(database_url: str) -> Iterator[list[TestClient]]:
    opened = [TestClient(create_app(make_settings(database_url, admin_token=ADMIN)),
                         raise_server_exceptions=False) for _ in range(APPS)]
    for client in opened:
        client.__enter__()
    yield opened
    for client in opened:
        client.__exit__(None, None, None)


def roster_file(number: int) -> bytes:
    return ("姓名,手机号,组织,政治面貌\n"
            "共同人,13800000000,机关党委/第三党支部,正式党员\n"
            f"党员{'甲乙丙丁戊己庚辛'[number]},1390000000{number},机关党委/第三党支部/第{number}党小组,正式党员\n"
            ).encode()


def test_concurrent_imports_create_each_new_org_once(
        clients: list[TestClient], database: Database) -> None:
    uploads = APPS * UPLOADS_PER_APP
    start = threading.Barrier(uploads)

    def upload(number: int) -> tuple[int, str]:
        client = clients[number % APPS]
        start.wait(timeout=30)
        answer = client.post("/api/admin/roster",
                             headers={"Authorization": f"Bearer {ADMIN}"},
                             files={"file": (f"r{number}.csv", roster_file(number), "text/csv")})
        return answer.status_code, answer.text

    with ThreadPoolExecutor(uploads) as pool:
        answers = list(pool.map(upload, range(uploads)))

    assert [status for status, _text in answers] == [201] * uploads, answers

    def tally(session: Session) -> tuple[list[str], int, int]:
        names = sorted(session.scalars(select(Org.name)))
        people = session.scalar(select(func.count()).select_from(RosterEntry)) or 0
        shared = session.scalar(select(func.count()).where(
            RosterEntry.phone == "13800000000")) or 0
        return names, people, shared

    names, people, shared = run_unit(database, tally)
    assert names == sorted(["机关党委", "第三党支部",
                            *(f"第{number}党小组" for number in range(uploads))])
    assert (people, shared) == (uploads + 1, 1)


def test_concurrent_creates_of_one_org_give_one_201_and_409s(
        clients: list[TestClient], database: Database) -> None:
    calls = APPS * UPLOADS_PER_APP
    start = threading.Barrier(calls)

    def create(number: int) -> int:
        start.wait(timeout=30)
        return clients[number % APPS].post(
            "/api/admin/orgs", headers={"Authorization": f"Bearer {ADMIN}"},
            json={"name": "机关党委"}).status_code

    with ThreadPoolExecutor(calls) as pool:
        statuses = sorted(pool.map(create, range(calls)))
    assert statuses == [201] + [409] * (calls - 1)
