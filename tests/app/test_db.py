"""The unit-of-work runner: group commit on SQLite, and on PostgreSQL for batched units."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Member
from app.rawsql import RawSQL

Submit = Callable[[Database, Callable[[Session], Any]], Awaitable[Any]]


@pytest.fixture(params=["own transactions", "batched"])
def submit(request: pytest.FixtureRequest) -> Submit:
    """Both ways to run a unit: they differ on PostgreSQL, where only batched ones group."""
    if request.param == "batched":
        return lambda database, work: database.submit_batched(work)
    return lambda database, work: database.run(work)


def add_member(openid: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        now = datetime.now(UTC)
        session.add(Member(openid=openid, first_seen_at=now, last_interaction_at=now))
        session.flush()
        return openid

    return work


def fail(session: Session) -> None:
    raise ValueError("this unit fails")


async def test_failing_units_do_not_take_others_down(database: Database, submit: Submit) -> None:
    with database.unit_of_work() as session:
        session.add(Member(openid="o_taken", first_seen_at=datetime.now(UTC),
                           last_interaction_at=datetime.now(UTC)))
    units = [add_member("o_1"), fail, add_member("o_taken"), add_member("o_2"),
             add_member("o_3")]
    results = await asyncio.wait_for(
        asyncio.gather(*(submit(database, unit) for unit in units), return_exceptions=True),
        timeout=30,
    )
    assert results[0] == "o_1" and results[3] == "o_2" and results[4] == "o_3"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], Exception)  # the duplicate openid, refused by the database
    with database.unit_of_work() as session:
        openids = set(session.scalars(select(Member.openid)))
    assert openids == {"o_taken", "o_1", "o_2", "o_3"}


@pytest.mark.parametrize("count", [200])
async def test_many_concurrent_units_all_commit(
    database: Database, submit: Submit, count: int
) -> None:
    results = await asyncio.gather(*(submit(database, add_member(f"o_many_{n}"))
                                     for n in range(count)))
    assert len(set(results)) == count
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == count


_INSERT_MEMBER = """
INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, daily_push)
VALUES (:openid, :now, :now, :yes, :no)
"""


def defer_member(sql: RawSQL, openid: str) -> None:
    sql.defer(_INSERT_MEMBER, {"openid": openid, "now": sql.time(datetime.now(UTC)),
                               "yes": True, "no": False})


def count_members(session: Session, *openids: str) -> int:
    return session.scalar(select(func.count()).select_from(Member)
                          .where(Member.openid.in_(openids))) or 0


async def test_deferred_statements_run_before_the_orm_reads(database: Database) -> None:
    def work(session: Session) -> int:
        defer_member(RawSQL.of(session), "o_deferred")
        return count_members(session, "o_deferred")

    assert await database.submit_batched(work) == 1


def test_deferred_statements_go_out_at_commit(database: Database) -> None:
    with database.unit_of_work() as session:
        defer_member(RawSQL.of(session), "o_at_commit")
    # Another connection: this one's next statement would send leftovers too.
    elsewhere = Database(database.engine.url.render_as_string(hide_password=False))
    try:
        with elsewhere.unit_of_work() as session:
            assert count_members(session, "o_at_commit") == 1
    finally:
        elsewhere.close()


def test_a_rollback_drops_deferred_statements(database: Database) -> None:
    def defer_then_fail() -> None:
        with database.unit_of_work() as session:
            defer_member(RawSQL.of(session), "o_rolled_back")
            raise ValueError("the unit fails")

    with pytest.raises(ValueError):
        defer_then_fail()
    # The next user of the pooled connection must not send them either.
    with database.unit_of_work() as session:
        session.add(Member(openid="o_next", first_seen_at=datetime.now(UTC),
                           last_interaction_at=datetime.now(UTC)))
    with database.unit_of_work() as session:
        assert count_members(session, "o_rolled_back") == 0
        assert count_members(session, "o_next") == 1


async def test_a_failing_deferred_statement_fails_only_its_own_unit(database: Database) -> None:
    await database.run(add_member("o_existing"))

    def duplicate(session: Session) -> None:
        sql = RawSQL.of(session)
        defer_member(sql, "o_written_first")
        defer_member(sql, "o_existing")  # refused by the unique openid, at the unit's end

    results = await asyncio.gather(
        database.submit_batched(add_member("o_before")), database.submit_batched(duplicate),
        database.submit_batched(add_member("o_after")), return_exceptions=True)
    assert results[0] == "o_before" and results[2] == "o_after"
    assert isinstance(results[1], Exception)
    with database.unit_of_work() as session:
        assert count_members(session, "o_before", "o_after", "o_existing") == 3
        assert count_members(session, "o_written_first") == 0  # nothing half-written


@pytest.mark.postgres
async def test_deadlock_victims_run_again(postgres_url: str) -> None:
    """Two processes' batches lock the same two rows in opposite orders."""
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        await first.run(add_member("o_left"))
        await first.run(add_member("o_right"))
        both_hold_one = threading.Barrier(2, timeout=10)

        def touch_both(one: str, other: str) -> Callable[[Session], None]:
            runs = 0

            def work(session: Session) -> None:
                nonlocal runs
                runs += 1
                sql = RawSQL.of(session)
                bump = "UPDATE members SET name = coalesce(name, '') || 'x' WHERE openid = :o"
                sql.execute(bump, {"o": one})
                if runs == 1:
                    both_hold_one.wait()  # now each waits for the row the other holds
                sql.execute(bump, {"o": other})

            return work

        await asyncio.wait_for(asyncio.gather(
            first.submit_batched(touch_both("o_left", "o_right")),
            second.submit_batched(touch_both("o_right", "o_left"))), timeout=30)
        with first.unit_of_work() as session:
            rows = session.execute(select(Member.openid, Member.name)
                                   .where(Member.openid.in_(["o_left", "o_right"])))
            names = dict(rows.all())
        # Each unit wrote each row once: the victim's first try left nothing behind.
        assert names == {"o_left": "xx", "o_right": "xx"}
    finally:
        first.close()
        second.close()
