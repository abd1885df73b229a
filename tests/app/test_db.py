"""The unit-of-work runner: group commit on SQLite, and on PostgreSQL for batched units;
on SQLite, batched units on the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import migrations
from app.db import Database
from app.group_commit import SQLiteLoopBatcher
from app.models import Member
from app.rawsql import DeclaredStatement, RawSQL
from tests.conftest import empty_tables

Submit = Callable[[Database, Callable[[Session], Any]], Awaitable[Any]]


@pytest.fixture(params=["own transactions", "batched"])
def submit(request: pytest.FixtureRequest) -> Submit:
    """Both ways to run a unit: they differ on PostgreSQL, where only batched ones group."""
    if request.param == "batched":
        return lambda database, work: database.run_callback(work)
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

    assert await database.run_callback(work) == 1


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


_ADD_MEMBER_RETURNING = """
INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, daily_push)
VALUES (:openid, :now, :now, TRUE, FALSE) RETURNING openid
"""
_COUNT_MEMBER = "SELECT COUNT(*) FROM members WHERE openid = :openid"


def member_added_declared(openid: str) -> DeclaredStatement:
    return DeclaredStatement(_ADD_MEMBER_RETURNING,
                          {"openid": openid, "now": datetime.now(UTC).isoformat(" ")},
                          keys=(openid,))


def declared_row_of(declared: DeclaredStatement) -> Callable[[Session], Any]:
    def work(session: Session) -> Any:
        row = RawSQL.of(session).declared_row(declared)
        assert row is not None
        return row[0]

    return work


async def each_unit_gets_its_row_once(database: Database, declared: list[DeclaredStatement],
                                      openids: list[str]) -> None:
    """Each unit reads the row its declared statement (adding its member) returned."""
    units = [database.run_callback(declared_row_of(each), declared=[each]) for each in declared]
    # A failing unit makes the batch run again unit by unit, declared statements included.
    units.insert(20, database.run_callback(fail))
    results = await asyncio.gather(*units, return_exceptions=True)
    assert isinstance(results.pop(20), ValueError)
    assert results == openids
    with database.unit_of_work() as session:
        # A declared statement run twice would have failed on the unique openid.
        assert count_members(session, *openids) == len(openids)


async def test_each_unit_gets_its_declared_statements_row_and_runs_it_once(
    database: Database,
) -> None:
    openids = [f"o_first_{n}" for n in range(40)]
    await each_unit_gets_its_row_once(database, [member_added_declared(o) for o in openids],
                                      openids)


async def test_a_declared_statement_sees_what_units_before_it_with_a_shared_key_wrote(
    database: Database,
) -> None:
    def counted(openid: str, key: str) -> DeclaredStatement:
        return DeclaredStatement(_COUNT_MEMBER, {"openid": openid}, keys=(key,))

    def count_then_add(declared: DeclaredStatement, openid: str) -> Callable[[Session], Any]:
        def work(session: Session) -> Any:
            counted_before = declared_row_of(declared)(session)
            add_member(openid)(session)
            return counted_before

        return work

    writer = counted("o_shared", "o_shared")
    shared, apart = counted("o_shared", "o_shared"), counted("o_apart", "another key")
    results = await asyncio.gather(
        database.run_callback(count_then_add(writer, "o_shared"), declared=[writer]),
        database.run_callback(add_member("o_apart")),
        database.run_callback(declared_row_of(shared), declared=[shared]),
        database.run_callback(declared_row_of(apart), declared=[apart]),
    )
    assert results[0] == 0 and results[2] == 1
    if not database.is_sqlite:
        # The proof that PostgreSQL ran the others ahead, in one round trip, as
        # the batch began; SQLite runs each at its unit's turn.
        assert results[3] == 0


_ADD_MEMBER_ROWS = """
WITH given AS (
    SELECT * FROM ROWS FROM (json_to_recordset(:rows) AS (openid text))
    WITH ORDINALITY AS given (openid, ordinal)
), added AS (
    INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, daily_push)
    SELECT openid, now(), now(), TRUE, FALSE FROM given
    RETURNING openid
)
SELECT given.ordinal, added.openid FROM given JOIN added USING (openid)
"""
# Each row learns how many rows its statement carried.
_ROWS_SENT_TOGETHER = """
SELECT ordinal, COUNT(*) OVER () FROM ROWS FROM (json_to_recordset(:rows) AS (openid text))
WITH ORDINALITY AS given (openid, ordinal)
"""
only_postgres = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@only_postgres
async def test_each_unit_gets_its_own_rows_of_a_statement_sent_as_one(
    database: Database,
) -> None:
    openids = [f"o_row_{n}" for n in range(40)]
    # After the failing unit each row goes alone, as a statement of one row.
    await each_unit_gets_its_row_once(database, [
        DeclaredStatement(_ADD_MEMBER_ROWS, {"openid": o}, keys=(o,), as_row=True) for o in openids
    ], openids)


@only_postgres
async def test_rows_of_one_statement_go_out_together_unless_a_key_is_shared(
    database: Database,
) -> None:
    def row(openid: str, key: str) -> DeclaredStatement:
        return DeclaredStatement(_ROWS_SENT_TOGETHER, {"openid": openid}, keys=(key,), as_row=True)

    declared = [row(f"o_{n}", f"key {n}") for n in range(10)]
    declared.append(row("o_again", "key 3"))  # after the unit it shares a key with
    counts = await asyncio.gather(
        *(database.run_callback(declared_row_of(each), declared=[each]) for each in declared))
    assert counts == [10] * 10 + [1]


async def test_a_failing_deferred_statement_fails_only_its_own_unit(database: Database) -> None:
    await database.run(add_member("o_existing"))

    def duplicate(session: Session) -> None:
        sql = RawSQL.of(session)
        defer_member(sql, "o_written_first")
        defer_member(sql, "o_existing")  # refused by the unique openid, at the unit's end

    results = await asyncio.gather(
        database.run_callback(add_member("o_before")), database.run_callback(duplicate),
        database.run_callback(add_member("o_after")), return_exceptions=True)
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
                bump = ("UPDATE members SET name = coalesce(name, '') || 'x' WHERE openid = :o"
                        " RETURNING id")
                sql.execute(bump, {"o": one})
                if runs == 1:
                    both_hold_one.wait()  # now each waits for the row the other holds
                sql.execute(bump, {"o": other})

            return work

        # The other process: its own event loop, in a thread, since each unit
        # blocks its loop at the barrier.
        async def in_other_process() -> None:
            await second.run_callback(touch_both("o_right", "o_left"))

        def other_process() -> None:
            asyncio.run(asyncio.wait_for(in_other_process(), timeout=30))

        await asyncio.wait_for(asyncio.gather(
            first.run_callback(touch_both("o_left", "o_right")),
            asyncio.to_thread(other_process)), timeout=30)
        with first.unit_of_work() as session:
            rows = session.execute(select(Member.openid, Member.name)
                                   .where(Member.openid.in_(["o_left", "o_right"])))
            names = dict(rows.all())
        # Each unit wrote each row once: the victim's first try left nothing behind.
        assert names == {"o_left": "xx", "o_right": "xx"}
    finally:
        first.close()
        second.close()
        empty_tables(postgres_url)  # the server's database is shared with the next tests



def transaction_by_orm(session: Session) -> int:
    return int(session.scalar(text("SELECT txid_current()")) or 0)


def transaction_by_rawsql(session: Session) -> int:
    row = RawSQL.of(session).one("SELECT txid_current()")
    assert row is not None
    return int(row[0])


def no_statement(_session: Session) -> int:
    return 0


@pytest.mark.postgres
async def test_a_batch_is_one_transaction_whichever_statement_comes_first(
    postgres_url: str,
) -> None:
    """The batch's BEGIN goes out with its first statement, the ORM's or a hand-written
    one: every statement after it is in the same transaction, as without autocommit."""
    database = Database(postgres_url)
    try:
        for first, then in ((transaction_by_orm, transaction_by_rawsql),
                            (transaction_by_rawsql, transaction_by_orm)):
            units = [first, no_statement, then, first, then]
            results = await asyncio.gather(*(database.run_callback(unit) for unit in units))
            assert results[1] == 0
            assert len(set(results) - {0}) == 1, results
        # A unit alone, and one that sends nothing, commit as usual.
        assert await database.run_callback(transaction_by_orm) > 0
        assert await database.run_callback(no_statement) == 0
    finally:
        database.close()


# --------------------------------------------------------------------------- SQLite: on the loop


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A SQLite database of the test's own: these tests look at its files and locks."""
    url = f"sqlite:///{tmp_path / 'loop.db'}"
    migrations.upgrade(url)
    database = Database(url)
    yield database
    database.close()


def where_it_ran(openid: str, seen: list[tuple[str, int, int]]) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        seen.append((openid, threading.get_ident(), id(session)))
        return add_member(openid)(session)

    return work


async def test_sqlite_units_of_one_pass_run_on_the_loop_in_one_transaction(
    sqlite_database: Database,
) -> None:
    seen: list[tuple[str, int, int]] = []
    await asyncio.gather(*(sqlite_database.run_callback(where_it_ran(f"o_pass_{n}", seen))
                           for n in range(5)))
    assert [openid for openid, _, _ in seen] == [f"o_pass_{n}" for n in range(5)]
    assert {thread for _, thread, _ in seen} == {threading.get_ident()}
    assert len({session for _, _, session in seen}) == 1


async def test_sqlite_units_wait_for_a_lock_held_elsewhere_and_keep_their_order(
    sqlite_database: Database,
) -> None:
    path = sqlite_database.engine.url.database
    assert path is not None
    elsewhere = sqlite3.connect(path, isolation_level=None)
    seen: list[tuple[str, int, int]] = []
    try:
        elsewhere.execute("BEGIN IMMEDIATE")  # another process's long write
        first = [sqlite_database.run_callback(where_it_ran(f"o_held_{n}", seen))
                 for n in range(2)]
        await asyncio.sleep(0.5)
        assert seen == []  # nothing ran, nothing failed: they wait for the lock
        elsewhere.execute("COMMIT")
        # Submitted the moment the lock is free, before the waiting ones got it:
        # it must not overtake them.
        last = sqlite_database.run_callback(where_it_ran("o_after", seen))
        await asyncio.wait_for(asyncio.gather(*first, last), timeout=30)
    finally:
        elsewhere.close()
    assert [openid for openid, _, _ in seen] == ["o_held_0", "o_held_1", "o_after"]
    assert threading.get_ident() not in {thread for _, thread, _ in seen[:2]}
    # Once the thread has caught up, units run on the loop again.
    await sqlite_database.run_callback(where_it_ran("o_back", seen))
    assert seen[-1][1] == threading.get_ident()


async def log_growth_over_commits(database: Database, commits: int) -> int:
    path = database.engine.url.database
    assert path is not None
    log = Path(f"{path}-wal")
    await database.run_callback(add_member("o_first"))
    before = log.stat().st_size  # the migrations' pages are in the log too
    for n in range(commits):
        await database.run_callback(add_member(f"o_commit_{n}"))
    await asyncio.sleep(0.2)  # a last checkpoint, if one was asked for, runs on the thread
    await database.run_callback(add_member("o_last"))
    return log.stat().st_size - before


async def test_sqlite_loop_commits_leave_checkpoints_to_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    growth = {}
    for every in (5, 10**9):
        monkeypatch.setattr(SQLiteLoopBatcher, "CHECKPOINT_EVERY", every)
        url = f"sqlite:///{tmp_path / f'checkpoint-{every}.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            growth[every] = await log_growth_over_commits(database, 300)
        finally:
            database.close()
    # The loop's connection never checkpoints, so without the thread's the log
    # only grows (about 1 MB here); with them it starts over every few commits.
    assert growth[10**9] > 500_000
    assert growth[5] * 10 < growth[10**9]


def test_a_second_event_loop_is_served_by_the_thread(sqlite_database: Database) -> None:
    seen: list[tuple[str, int, int]] = []

    async def unit(openid: str) -> str:
        return await sqlite_database.run_callback(where_it_ran(openid, seen))

    for n in range(2):
        asyncio.run(unit(f"o_loop_{n}"))
    assert seen[0][1] == threading.get_ident()  # the first loop's units run on it
    assert seen[1][1] != threading.get_ident()  # a later loop's go to the writer thread
