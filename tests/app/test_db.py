"""The unit-of-work runner: group commit on SQLite, one transaction per unit on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Member


def add_member(openid: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        now = datetime.now(UTC)
        session.add(Member(openid=openid, first_seen_at=now, last_interaction_at=now))
        session.flush()
        return openid

    return work


def fail(session: Session) -> None:
    raise ValueError("this unit fails")


async def test_failing_units_do_not_take_others_down(database: Database) -> None:
    with database.unit_of_work() as session:
        session.add(Member(openid="o_taken", first_seen_at=datetime.now(UTC),
                           last_interaction_at=datetime.now(UTC)))
    units = [add_member("o_1"), fail, add_member("o_taken"), add_member("o_2"),
             add_member("o_3")]
    results = await asyncio.wait_for(
        asyncio.gather(*(database.run(unit) for unit in units), return_exceptions=True),
        timeout=30,
    )
    assert results[0] == "o_1" and results[3] == "o_2" and results[4] == "o_3"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], Exception)  # the duplicate openid, refused by the database
    with database.unit_of_work() as session:
        openids = set(session.scalars(select(Member.openid)))
    assert openids == {"o_taken", "o_1", "o_2", "o_3"}


@pytest.mark.parametrize("count", [200])
async def test_many_concurrent_units_all_commit(database: Database, count: int) -> None:
    results = await asyncio.gather(*(database.run(add_member(f"o_many_{n}"))
                                     for n in range(count)))
    assert len(set(results)) == count
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == count
