"""Group commit: callbacks' short units of work share one transaction and one COMMIT.

Private to app/db.py, whose :meth:`Database.run_callback` is the only way in;
tests/app/test_db.py tests it through that method.

SQLite allows one writer at a time. A pool of writer connections only makes
them queue inside SQLite's busy handler, which sleeps in growing steps and
sends tail latency towards a second. So concurrent units share one
transaction and one COMMIT; if one fails, they all run again, each alone.
Every caller still waits until its own work is durable.

On SQLite the units the event loop submits run on the loop itself, all those
of one pass of the loop together (:class:`SQLiteLoopBatcher`), on a connection
that never waits for the lock; handing each to a thread and back cost more
than running it. The writer thread (:class:`WriterThread`), on a connection
of its own, runs the units of other threads and those the loop could not: it
waits for the lock.

On PostgreSQL a transaction of their own would cost a callback's units a
BEGIN, a COMMIT and a pool checkout, more than their statements, so they
share one too, run on the event loop over psycopg's asyncio connection
(:class:`PostgresLoopBatcher`), one batch at a time. There each round trip
costs the loop tens of microseconds of CPU and holds the whole batch back,
so the statements the units declare (a callback's claim, and the read its
answer will probably need) go out together, in one round trip, when the
batch begins (:func:`_run_declared_statements_ahead`), with the BEGIN; the
stored replies go with the COMMIT: a batch of callbacks is two round trips.
Other units of work are ordinary transactions there.

bench/NOTES.md has the measurements behind each of these choices.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from app.rawsql import DeclaredStatement, RawSQL, begin_with_first_statement

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_GROUP_COMMIT = 128
# Runs of a batch in which deadlock victims are run again rather than failed.
MAX_CONFLICT_RETRIES = 3
# How long units wait for a database that cannot be reached or locked, trying
# again after each pause: a failover or a long write elsewhere, not an outage.
MAX_UNAVAILABLE_SECONDS = 60.0
UNAVAILABLE_PAUSE_SECONDS = 0.5


class _Job(NamedTuple):
    """A unit of work, the future that waits for it, and the statements it declared."""

    work: Callable[[Session], Any]
    future: asyncio.Future[Any]
    declared: Sequence[DeclaredStatement] = ()


_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _checkpoint_marker(_session: Session) -> None:
    """Stands in a job's place on the writer's queue: checkpoint SQLite's log there."""
    raise AssertionError("a marker, never run as a unit of work")


class WriterThread:
    def __init__(self, sessions: sessionmaker[Session], engine: Engine) -> None:
        self._sessions = sessions
        self._engine = engine
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self._thread.start()

    def submit_from_loop(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put(_Job(work, future))
        return future

    def hand_over(self, job: _Job) -> None:
        """Run a job some other committer could not; its future is settled as usual."""
        self._jobs.put(job)

    def checkpoint(self, done: asyncio.Future[None]) -> None:
        """Copy SQLite's write-ahead log into the database file, after the jobs queued so far."""
        self._jobs.put(_Job(_checkpoint_marker, done))

    def stop(self) -> None:
        self._stopping.set()
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_GROUP_COMMIT:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)
                    break
                batch.append(job)
            # In queue order: a checkpoint comes after the jobs before it.
            segment: list[_Job] = []
            for job in batch:
                if job.work is _checkpoint_marker:
                    self._run_batch(segment)
                    segment = []
                    self._checkpoint()
                    _settle([(job.future, None, None)])
                else:
                    segment.append(job)
            self._run_batch(segment)

    def _checkpoint(self) -> None:
        # RESTART: copy the whole log and make the next writer start it over.
        # The loop hands its units here until this is done (SQLiteLoopBatcher), so
        # nothing writes meanwhile; a checkpoint running beside the loop's commits
        # never caught up with them, and the log only grew.
        try:
            connection = self._engine.raw_connection()
            try:
                connection.cursor().execute("PRAGMA wal_checkpoint(RESTART)")
            finally:
                connection.close()
        except Exception:
            log.warning("checkpoint failed; the next one will catch up", exc_info=True)

    def _run_batch(self, batch: list[_Job]) -> None:
        tries = _RetryPlan(batch)
        while (jobs := tries.next_group()) is not None:
            with self._sessions() as session:
                tried = _run_in_one_transaction(session, jobs, retry_conflict=tries.retry_conflict)
            _settle(tries.settled(jobs, tried, giving_up=self._stopping.is_set()))
            if tries.waiting:
                self._stopping.wait(UNAVAILABLE_PAUSE_SECONDS)


class _RetryPlan:
    """What runs next after each try of a batch: the rules both group committers follow.

    When a job of the batch fails, each runs again alone; a job alone that was
    a deadlock victim runs again, a few times; when the database cannot be
    reached, the jobs wait and try again, for up to MAX_UNAVAILABLE_SECONDS.
    Nothing has run then, so they can: a callback answered "success" is not
    resent by WeChat, and failing it would lose the message.
    """

    def __init__(self, batch: Sequence[_Job]) -> None:
        self._groups = deque([[job for job in batch if not job.future.cancelled()]])
        self._conflicts = 0
        self._wait_until = time.monotonic() + MAX_UNAVAILABLE_SECONDS
        self.waiting = False  # whether to pause before the next try

    @property
    def retry_conflict(self) -> bool:
        return self._conflicts < MAX_CONFLICT_RETRIES

    def next_group(self) -> list[_Job] | None:
        while self._groups:
            if jobs := self._groups.popleft():
                return jobs
        return None

    def settled(self, jobs: list[_Job], tried: _Attempt, *, giving_up: bool) -> list[_Outcome]:
        """The outcomes to settle after ``tried``; the rest go back to be run again."""
        self.waiting = False
        if tried.then is _Next.WAIT:
            if time.monotonic() < self._wait_until and not giving_up:
                log.warning("database unavailable; %d units of work wait", len(jobs))
                self.waiting = True
                self._groups.appendleft(jobs)
                return []
            return [(job.future, None, tried.error) for job in jobs]
        if tried.then is _Next.RETRY:
            self._conflicts += 1
            self._groups.appendleft(jobs)
            return []
        if tried.then is _Next.SPLIT:
            self._groups.extendleft([job] for job in reversed(jobs))
            return []
        return tried.outcomes


class _LoopBatcher:
    """A committer for the units one event loop submits: the first loop to use it.

    Units from any other loop (tests run several) go to the writer thread.
    """

    def __init__(self, writer: WriterThread) -> None:
        self._writer = writer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Job] = []

    def submit(self, work: Callable[[Session], T],
               declared: Sequence[DeclaredStatement]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        if loop is not self._loop:
            return self._writer.submit_from_loop(work)
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Job(work, future, declared))
        self._queued()
        return future

    def _queued(self) -> None:
        """A unit joined the pending ones: make sure they will run."""
        raise NotImplementedError


class SQLiteLoopBatcher(_LoopBatcher):
    """SQLite: the event loop's short units of work, run on the loop itself.

    Handing each unit to the writer thread and back cost more than running it:
    the two threads took turns with the GIL. The units submitted during one pass
    of the loop run together, in one transaction, right after it. Their
    connection never waits for SQLite's lock: when someone else holds it (the
    writer thread, another process), the units go to the writer thread, which
    waits, and the units that follow wait on the loop until it is done, so a
    member's messages keep their order. Nor does that connection checkpoint:
    every CHECKPOINT_EVERY commits the writer thread does, while the loop's
    units wait the same way, so that no fsync lands on the loop.
    """

    CHECKPOINT_EVERY = 100

    def __init__(self, sessions: sessionmaker[Session], writer: WriterThread) -> None:
        super().__init__(writer)
        self._sessions = sessions
        self._scheduled = False
        self._with_writer = 0  # units and checkpoints handed over, not yet settled
        self._commits = 0

    def _queued(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._pending and not self._scheduled and not self._with_writer:
            assert self._loop is not None
            self._scheduled = True
            self._loop.call_soon(self._run_pending)

    def _run_pending(self) -> None:
        self._scheduled = False
        groups = deque([[job for job in self._pending if not job.future.cancelled()]])
        self._pending = []
        while groups:
            jobs = groups.popleft()
            if not jobs:
                continue
            if self._with_writer:  # a checkpoint began: the rest wait for it
                self._pending[:0] = [job for group in (jobs, *groups) for job in group]
                return
            with self._sessions() as session:
                tried = _run_in_one_transaction(session, jobs, retry_conflict=False)
            if tried.then is _Next.WAIT or _failed_on_a_lock(tried):
                for job in jobs:
                    self._wait_for_writer(job.future)
                    self._writer.hand_over(job)
            elif tried.then is _Next.SPLIT:
                groups.extendleft([job] for job in reversed(jobs))
            else:
                self._committed()
                _resolve_all(tried.outcomes)

    def _wait_for_writer(self, future: asyncio.Future[Any]) -> None:
        """Hold the loop's units back until the writer thread has settled ``future``."""
        self._with_writer += 1
        future.add_done_callback(self._back_from_writer)

    def _back_from_writer(self, _future: object) -> None:
        self._with_writer -= 1
        self._schedule()

    def _committed(self) -> None:
        self._commits += 1
        if self._commits % self.CHECKPOINT_EVERY == 0:
            assert self._loop is not None  # set by the submit that led here
            done: asyncio.Future[None] = self._loop.create_future()
            self._wait_for_writer(done)
            self._writer.checkpoint(done)


class PostgresLoopBatcher(_LoopBatcher):
    """PostgreSQL: the event loop's short units of work, run on the loop itself.

    A thread fed by a queue cost two hand-overs a callback and a GIL the two
    threads took turns with. The units run in
    SQLAlchemy's greenlet bridge over psycopg's asyncio connection, so they are
    the same synchronous code, but a round trip, or a wait for a row lock,
    lets the loop serve other requests meanwhile. One batch runs at a time;
    the units submitted while it does form the next one (two batches in
    flight on two connections were slower).
    """

    def __init__(self, url: URL, writer: WriterThread) -> None:
        super().__init__(writer)
        # The driver's own BEGIN would be a round trip of its own, before the
        # batch's first statement; rawsql sends it with that statement instead.
        self._engine = create_async_engine(
            url, pool_size=1, max_overflow=0, pool_recycle=1800, isolation_level="AUTOCOMMIT")
        begin_with_first_statement(self._engine.sync_engine)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        self._drainer: asyncio.Task[None] | None = None
        self._closing = False

    def _queued(self) -> None:
        if self._drainer is None:
            assert self._loop is not None  # set by the submit that led here
            self._drainer = self._loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:MAX_GROUP_COMMIT]
                del self._pending[:MAX_GROUP_COMMIT]
                try:
                    await self._run_batch(batch)
                except Exception as error:  # not the units' own: those are their outcomes
                    log.exception("a batch of units of work failed")
                    _resolve_all([(job.future, None, error) for job in batch
                                  if not job.future.done()])
        finally:
            self._drainer = None

    async def _run_batch(self, batch: Sequence[_Job]) -> None:
        tries = _RetryPlan(batch)
        while (jobs := tries.next_group()) is not None:
            async with self._sessions() as session:
                tried = await session.run_sync(
                    _run_in_one_transaction, jobs, retry_conflict=tries.retry_conflict,
                    declared_ahead=True)
            _resolve_all(tries.settled(jobs, tried, giving_up=self._closing))
            if tries.waiting:
                await asyncio.sleep(UNAVAILABLE_PAUSE_SECONDS)

    async def aclose(self) -> None:
        self._closing = True
        await self._engine.dispose()

    def close(self) -> None:
        """Close the connections from outside their event loop (gone, or another thread's).

        Closing one of psycopg's asyncio connections awaits nothing, so any loop
        can do it: a loop of its own, in a thread of its own, since the caller's
        thread may be running one.
        """
        self._closing = True
        closer = threading.Thread(target=asyncio.run, args=(self._engine.dispose(),),
                                  name="db-close")
        closer.start()
        closer.join()


def _failed_on_a_lock(tried: _Attempt) -> bool:
    """A unit alone that SQLite refused for a lock: the thread, which waits, can run it."""
    if len(tried.outcomes) != 1:
        return False
    error = tried.outcomes[0][2]
    # SQLAlchemy wraps the driver's errors; RawSQL's come from the driver itself.
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    # The primary code: extended ones (SQLITE_BUSY_SNAPSHOT...) add bits above it.
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@dataclass(frozen=True, slots=True)
class _Attempt:
    then: _Next
    outcomes: list[_Outcome]
    error: BaseException | None = None


def _run_in_one_transaction(
    session: Session, jobs: Sequence[_Job], *, retry_conflict: bool,
    declared_ahead: bool = False,
) -> _Attempt:
    """Run the jobs in one transaction; their outcomes, unless they must run again.

    No savepoint per job: they cost a statement each (a round trip on
    PostgreSQL), and jobs rarely fail. When one does, the whole transaction
    rolls back and every job runs again alone, so that only the failing one
    fails. A job alone that PostgreSQL chose as a deadlock victim runs again:
    batches from two processes can lock the same rows in opposite orders.
    """
    results: list[Any] = []
    try:
        with session.begin():
            try:
                # Connects and begins: on SQLite, BEGIN IMMEDIATE takes the write lock.
                session.connection()
            except OperationalError as unavailable:
                return _Attempt(_Next.WAIT, [], unavailable)
            if declared_ahead and len(jobs) > 1:
                _run_declared_statements_ahead(session, jobs)
            for job in jobs:
                results.append(job.work(session))
                # The next job's plain SQL must see this one's ORM changes.
                session.flush()
    except Exception as exc:
        if len(jobs) > 1:
            return _Attempt(_Next.SPLIT, [])
        if retry_conflict and _is_conflict(exc):
            return _Attempt(_Next.RETRY, [])
        return _Attempt(_Next.SETTLE, [(jobs[0][1], None, exc)])
    return _Attempt(_Next.SETTLE, [(job.future, result, None)
                               for job, result in zip(jobs, results, strict=True)])


def _run_declared_statements_ahead(session: Session, jobs: Sequence[_Job]) -> None:
    """Run the jobs' declared statements in one round trip, before the jobs themselves.

    Only the statements of jobs that share no key with an earlier job of the
    batch: those must see what the earlier one wrote (a member's next message,
    WeChat's retry of the same one), so they run at their job's turn.
    """
    ahead: list[DeclaredStatement] = []
    keys_before: set[str] = set()
    for job in jobs:
        keys = {key for statement in job.declared for key in statement.keys}
        if keys_before.isdisjoint(keys):
            ahead += job.declared
        keys_before |= keys
    if len(ahead) > 1:
        RawSQL.of(session).run_ahead(ahead)


class _Next(Enum):
    """What to do with a batch's jobs after an attempt."""

    SETTLE = "settle"  # give each its result or error
    WAIT = "wait"  # nothing ran: the transaction could not begin
    RETRY = "retry"  # the one job was a deadlock victim
    SPLIT = "split"  # one of them failed: run each alone


def _is_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure: the same work may well succeed if run again."""
    driver_error = getattr(error, "orig", error)  # SQLAlchemy wraps the driver's errors
    return getattr(driver_error, "sqlstate", None) in ("40001", "40P01")


def _settle(outcomes: list[_Outcome]) -> None:
    """Settle futures from the writer thread: one call on each loop per batch, one
    wake-up instead of one per unit."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
    for loop, on_loop in by_loop.items():
        with suppress(RuntimeError):  # the loop closed while the batch ran
            loop.call_soon_threadsafe(_resolve_all, on_loop)


def _resolve_all(outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        if not outcome[0].cancelled():
            _resolve(outcome)


def _resolve(outcome: _Outcome) -> None:
    future, result, error = outcome
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
