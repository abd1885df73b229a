"""Engines, units of work and group commit.

SQLite allows one writer at a time. A pool of writer connections only makes
them queue inside SQLite's busy handler, which sleeps in growing steps and
sends p99 latency towards a second. So concurrent units of work share one
transaction and one COMMIT (group commit); if one fails, they all run again,
each alone. Every caller still waits until its own work is durable.

On SQLite the units the event loop submits run on the loop itself, all those
of one pass of the loop together (:class:`_LoopCommitter`), on a connection
that never waits for the lock; handing each to a thread and back cost more
than running it. The writer thread, on a connection of its own, runs the
units of other threads and those the loop could not: it waits for the lock.

PostgreSQL handles concurrency itself: a unit of work there is an ordinary
transaction on a pooled connection, run in a worker thread. The callback's
short units are the exception (:meth:`Database.submit_batched`): one
transaction of their own costs a BEGIN, a COMMIT and a pool checkout, more
than their actual statements, so there they share a group commit too, run
on the event loop over psycopg's asyncio connection (:class:`_AsyncCommitter`),
one batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.rawsql import Opening, RawSQL, hold_deferred_statements_in_order

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
MAX_GROUP_COMMIT = 128
# Runs of a batch in which deadlock victims are run again rather than failed.
MAX_CONFLICT_RETRIES = 3
# How long units wait for a database that cannot be reached or locked, trying
# again after each pause: a failover or a long write elsewhere, not an outage.
MAX_UNAVAILABLE_SECONDS = 60.0
UNAVAILABLE_PAUSE_SECONDS = 0.5
POSTGRES_POOL_SIZE = 10
# Units of work run in this many threads: more only contend for the GIL (measured: 4
# threads gave 568 callbacks/s and p99 77 ms, 10 threads 542/s and p99 136 ms).
POSTGRES_UNIT_THREADS = 4


def normalize_url(url: str) -> URL:
    """Pick the drivers we ship: pysqlite for SQLite, psycopg 3 for PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed.set(drivername="sqlite+pysqlite")


def create_db_engine(url: str, *, never_wait: bool = False) -> Engine:
    """The engine for ``url``; with ``never_wait`` (SQLite), one whose connection
    fails at once on a held lock and leaves checkpoints to the others."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        # No pre-ping: it costs a round trip per unit of work; a dropped connection
        # fails one unit instead, and the pool replaces it.
        engine = create_engine(parsed, pool_size=POSTGRES_POOL_SIZE, max_overflow=10,
                               pool_recycle=1800)
        hold_deferred_statements_in_order(engine)
        return engine
    engine = create_engine(
        parsed,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        # The pysqlite driver would otherwise open transactions lazily and
        # break SAVEPOINTs; we issue BEGIN ourselves (see _begin_immediate).
        connect_args={"isolation_level": None, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite)
    if never_wait:
        event.listen(engine, "connect", _never_wait)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode stays consistent after a crash and skips an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _never_wait(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    # A checkpoint copies the log into the database file and syncs it: tens of
    # milliseconds on a slow disk, too long for the event loop. The writer
    # thread runs them instead (see _LoopCommitter).
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Taking the write lock up front means another process's writer makes us
    # wait in the busy handler instead of failing on a lock upgrade mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The one place that knows how to talk to the configured database."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer: _GroupCommitWriter | None = None
        self._writer_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._url = url
        self._loop_committer: _LoopCommitter | _AsyncCommitter | None = None
        if self.is_sqlite:
            self._loop_engine = create_db_engine(url, never_wait=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in its own unit of work without blocking the event loop."""
        return await self.submit(work)

    def submit(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        """Start ``work`` in its own unit of work; the future resolves once it is durable."""
        if self.is_sqlite:
            return self._group_writer().submit_from_loop(work)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(POSTGRES_UNIT_THREADS, thread_name_prefix="db")
        return asyncio.get_running_loop().run_in_executor(self._executor, self._run_now, work)

    def submit_batched(
        self, work: Callable[[Session], T], opening: Opening | None = None
    ) -> asyncio.Future[T]:
        """:meth:`submit` for a short unit that never waits long on a lock.

        It may share its transaction with other such units, so a slow one would
        hold up the others, and it may run twice: when a unit in its batch fails,
        the batch rolls back and each unit runs again alone. It usually runs
        on the event loop itself, so it must not compute for long; on
        PostgreSQL it may wait (its round trips, a row lock) without holding
        up the loop, and its ``opening`` may be sent before it runs (see
        :class:`Opening`).
        """
        if self._loop_committer is None:
            self._loop_committer = (
                _LoopCommitter(sessionmaker(self._loop_engine, expire_on_commit=False),
                               self._group_writer()) if self.is_sqlite
                else _AsyncCommitter(self._url, self._group_writer()))
        return self._loop_committer.submit(work if opening is None else _Opened(work, opening))

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """Same as :meth:`run`, from a thread that is not the event loop."""
        if self.is_sqlite:
            return self._group_writer().submit(work).result()
        return self._run_now(work)

    def _run_now(self, work: Callable[[Session], T]) -> T:
        with self.unit_of_work() as session:
            return work(session)

    def _group_writer(self) -> _GroupCommitWriter:
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = _GroupCommitWriter(self.sessions, self.engine)
        return self._writer

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False
        return True

    async def aclose(self) -> None:
        """:meth:`close`, from the event loop: the loop's own connections close on it."""
        if isinstance(self._loop_committer, _AsyncCommitter):
            await self._loop_committer.aclose()
        self.close()

    def close(self) -> None:
        if isinstance(self._loop_committer, _AsyncCommitter):
            self._loop_committer.close()
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.engine.dispose()
        if self.is_sqlite:
            self._loop_engine.dispose()


# The future is a thread's (run_sync) or the event loop's (submit): the latter are
# settled in one call on their loop per batch, one wake-up instead of one per unit.
_Job = tuple[Callable[[Session], Any], "Future[Any] | asyncio.Future[Any]"]
_Outcome = tuple["Future[Any] | asyncio.Future[Any]", Any, BaseException | None]
_LoopJob = tuple[Callable[[Session], Any], "asyncio.Future[Any]"]


@dataclass(frozen=True, slots=True)
class _Opened:
    """A unit of work with its opening, as the writer's queue carries it."""

    work: Callable[[Session], Any]
    opening: Opening

    def __call__(self, session: Session) -> Any:
        return self.work(session)


def _checkpoint_marker(_session: Session) -> None:
    """Stands in a job's place on the writer's queue: checkpoint SQLite's log there."""
    raise AssertionError("a marker, never run as a unit of work")


class _GroupCommitWriter:
    def __init__(self, sessions: sessionmaker[Session], engine: Engine) -> None:
        self._sessions = sessions
        self._engine = engine
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((work, future))
        return future

    def submit_from_loop(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((work, future))
        return future

    def hand_over(self, job: _Job) -> None:
        """Run a job some other committer could not; its future is settled as usual."""
        self._jobs.put(job)

    def checkpoint(self, done: asyncio.Future[None]) -> None:
        """Copy SQLite's write-ahead log into the database file, after the jobs queued so far."""
        self._jobs.put((_checkpoint_marker, done))

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
                if job[0] is _checkpoint_marker:
                    self._run_batch(segment)
                    segment = []
                    self._checkpoint()
                    _settle([(job[1], None, None)])
                else:
                    segment.append(job)
            self._run_batch(segment)

    def _checkpoint(self) -> None:
        # RESTART: copy the whole log and make the next writer start it over.
        # The loop hands its units here until this is done (_LoopCommitter), so
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
        tries = _Tries(batch)
        while (jobs := tries.next_group()) is not None:
            with self._sessions() as session:
                tried = _commit_together(session, jobs, retry_conflict=tries.retry_conflict)
            _settle(tries.settled(jobs, tried, giving_up=self._stopping.is_set()))
            if tries.waiting:
                self._stopping.wait(UNAVAILABLE_PAUSE_SECONDS)


class _Tries:
    """What runs next after each try of a batch: the rules both group committers follow.

    When a job of the batch fails, each runs again alone; a job alone that was
    a deadlock victim runs again, a few times; when the database cannot be
    reached, the jobs wait and try again, for up to MAX_UNAVAILABLE_SECONDS.
    Nothing has run then, so they can: a callback answered "success" is not
    resent by WeChat, and failing it would lose the message.
    """

    def __init__(self, batch: Sequence[_Job]) -> None:
        self._groups = deque([[job for job in batch if _still_wanted(job[1])]])
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

    def settled(self, jobs: list[_Job], tried: _Tried, *, giving_up: bool) -> list[_Outcome]:
        """The outcomes to settle after ``tried``; the rest go back to be run again."""
        self.waiting = False
        if tried.then is _Then.UNAVAILABLE:
            if time.monotonic() < self._wait_until and not giving_up:
                log.warning("database unavailable; %d units of work wait", len(jobs))
                self.waiting = True
                self._groups.appendleft(jobs)
                return []
            return [(future, None, tried.error) for _, future in jobs]
        if tried.then is _Then.CONFLICT:
            self._conflicts += 1
            self._groups.appendleft(jobs)
            return []
        if tried.then is _Then.EACH_ALONE:
            self._groups.extendleft([job] for job in reversed(jobs))
            return []
        return tried.outcomes


class _OnTheLoop:
    """A committer for the units one event loop submits: the first loop to use it.

    Units from any other loop (tests run several) go to the writer thread.
    """

    def __init__(self, writer: _GroupCommitWriter) -> None:
        self._writer = writer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_LoopJob] = []

    def submit(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        if loop is not self._loop:
            return self._writer.submit_from_loop(work)
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        self._queued()
        return future

    def _queued(self) -> None:
        """A unit joined the pending ones: make sure they will run."""
        raise NotImplementedError


class _LoopCommitter(_OnTheLoop):
    """SQLite: the event loop's short units of work, run on the loop itself.

    Handing each unit to the writer thread and back cost more than running it:
    the two threads took turns with the GIL, 1.8 context switches a callback
    (measured on the callback benchmark: 0.43-0.45 ms of CPU and 2,270-2,365
    callbacks/s that way, 0.28-0.35 ms and 2,860-3,590/s here). The units submitted during one pass
    of the loop run together, in one transaction, right after it. Their
    connection never waits for SQLite's lock: when someone else holds it (the
    writer thread, another process), the units go to the writer thread, which
    waits, and the units that follow wait on the loop until it is done, so a
    member's messages keep their order. Nor does that connection checkpoint:
    every CHECKPOINT_EVERY commits the writer thread does, while the loop's
    units wait the same way, so that no fsync lands on the loop.
    """

    CHECKPOINT_EVERY = 100

    def __init__(self, sessions: sessionmaker[Session], writer: _GroupCommitWriter) -> None:
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
        groups = deque([[job for job in self._pending if not job[1].cancelled()]])
        self._pending = []
        while groups:
            jobs = groups.popleft()
            if not jobs:
                continue
            if self._with_writer:  # a checkpoint began: the rest wait for it
                self._pending[:0] = [job for group in (jobs, *groups) for job in group]
                return
            with self._sessions() as session:
                tried = _commit_together(session, jobs, retry_conflict=False)
            if tried.then is _Then.UNAVAILABLE or _failed_on_a_lock(tried):
                for job in jobs:
                    self._wait_for_writer(job[1])
                    self._writer.hand_over(job)
            elif tried.then is _Then.EACH_ALONE:
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


class _AsyncCommitter(_OnTheLoop):
    """PostgreSQL: the event loop's short units of work, run on the loop itself.

    A thread fed by a queue cost two hand-overs a callback and a GIL the two
    threads took turns with: 4 context switches a callback, and 0.4-0.5 ms of
    the server's CPU against 0.37-0.40 here (measured on the callback
    benchmark: 1,650-2,060 against 2,400-2,490 callbacks/s). The units run in
    SQLAlchemy's greenlet bridge over psycopg's asyncio connection, so they are
    the same synchronous code, but a round trip, or a wait for a row lock,
    lets the loop serve other requests meanwhile. One batch runs at a time;
    the units submitted while it does form the next one (two batches in
    flight on two connections measured slower: bench/NOTES.md).
    """

    def __init__(self, url: str, writer: _GroupCommitWriter) -> None:
        super().__init__(writer)
        self._engine = create_async_engine(
            normalize_url(url), pool_size=1, max_overflow=0, pool_recycle=1800)
        hold_deferred_statements_in_order(self._engine.sync_engine)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        # psycopg's asyncio connections, closed without a loop if theirs has gone.
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        event.listen(self._engine.sync_engine, "connect", self._opened)
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
                    _resolve_all([(future, None, error) for _, future in batch
                                  if not future.done()])
        finally:
            self._drainer = None

    async def _run_batch(self, batch: Sequence[_Job]) -> None:
        tries = _Tries(batch)
        while (jobs := tries.next_group()) is not None:
            async with self._sessions() as session:
                tried = await session.run_sync(
                    _commit_together, jobs, retry_conflict=tries.retry_conflict)
            _resolve_all(tries.settled(jobs, tried, giving_up=self._closing))
            if tries.waiting:
                await asyncio.sleep(UNAVAILABLE_PAUSE_SECONDS)

    def _opened(self, dbapi_connection: Any, _record: object) -> None:
        self._connections.add(dbapi_connection.driver_connection)

    async def aclose(self) -> None:
        self._closing = True
        await self._engine.dispose()

    def close(self) -> None:
        """Close the connections; without their loop (gone, or not this thread's), libpq's
        own finish, which needs none."""
        self._closing = True
        for connection in list(self._connections):
            if not connection.closed:
                connection.pgconn.finish()
        self._engine.sync_engine.dispose(close=False)


def _openings_to_send(jobs: Sequence[_Job]) -> list[Opening]:
    """The openings of the jobs that are the first in the batch with each of their keys."""
    seen: set[str] = set()
    openings = []
    for work, _ in jobs:
        if isinstance(work, _Opened):
            keys = work.opening.keys
            if seen.isdisjoint(keys):
                openings.append(work.opening)
            seen.update(keys)
    return openings


def _failed_on_a_lock(tried: _Tried) -> bool:
    """A unit alone that SQLite refused for a lock: the thread, which waits, can run it."""
    if len(tried.outcomes) != 1:
        return False
    error = tried.outcomes[0][2]
    # SQLAlchemy wraps the driver's errors; RawSQL's come from the driver itself.
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    # The primary code: extended ones (SQLITE_BUSY_SNAPSHOT...) add bits above it.
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@dataclass(frozen=True, slots=True)
class _Tried:
    then: _Then
    outcomes: list[_Outcome]
    error: BaseException | None = None


def _commit_together(session: Session, jobs: Sequence[_Job], *, retry_conflict: bool) -> _Tried:
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
                sql = RawSQL.of(session)
            except OperationalError as unavailable:
                return _Tried(_Then.UNAVAILABLE, [], unavailable)
            if len(jobs) > 1:
                sql.open_together(_openings_to_send(jobs))
            for work, _ in jobs:
                results.append(work(session))
                # The next job's plain SQL must see this one's ORM changes.
                session.flush()
    except Exception as exc:
        if len(jobs) > 1:
            return _Tried(_Then.EACH_ALONE, [])
        if retry_conflict and _is_conflict(exc):
            return _Tried(_Then.CONFLICT, [])
        return _Tried(_Then.DONE, [(jobs[0][1], None, exc)])
    return _Tried(_Then.DONE, [(future, result, None)
                               for (_, future), result in zip(jobs, results, strict=True)])


class _Then(Enum):
    """What a committer does with jobs after a try."""

    DONE = "settle them"
    UNAVAILABLE = "nothing ran: the transaction could not begin"
    CONFLICT = "run it again: a deadlock victim"
    EACH_ALONE = "run each alone: one of them failed"


def _is_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure: the same work may well succeed if run again."""
    driver_error = getattr(error, "orig", error)  # SQLAlchemy wraps the driver's errors
    return getattr(driver_error, "sqlstate", None) in ("40001", "40P01")


def _still_wanted(future: Future[Any] | asyncio.Future[Any]) -> bool:
    if isinstance(future, Future):
        return future.set_running_or_notify_cancel()
    return not future.cancelled()


def _settle(outcomes: list[_Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        future = outcome[0]
        if isinstance(future, Future):
            _resolve(outcome)
        else:
            by_loop.setdefault(future.get_loop(), []).append(outcome)
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
