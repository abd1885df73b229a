"""Engines and units of work: the one place that knows how to talk to the database.

:class:`Database` has three ways to run a unit of work (a function of a
session, committed when it returns and rolled back when it raises):
:meth:`~Database.unit_of_work` for code that runs in a thread,
:meth:`~Database.run` for the event loop, and :meth:`~Database.run_callback`
for a callback's short unit, which may share its commit with others
(app/group_commit.py explains how and why). Everything above is plain
SQLAlchemy; the few dialect differences services meet are in app/dialect.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.group_commit import PostgresLoopBatcher, SQLiteLoopBatcher, WriterThread
from app.rawsql import DeclaredStatement, hold_deferred_in_order

T = TypeVar("T")
log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 64 * 1024
POSTGRES_POOL_SIZE = 10
# Units of work run in this many threads: more only contend for the GIL (bench/NOTES.md).
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
        postgres = create_engine(parsed, pool_size=POSTGRES_POOL_SIZE, max_overflow=10,
                                 pool_recycle=1800)
        hold_deferred_in_order(postgres)
        return postgres
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
    # Each engine holds one connection; SQLite's default page cache (2 MiB) re-reads
    # from the operating system the index pages a dashboard's per-member lookups
    # revisit, so give it room for the indexes such a page reads.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
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
        self._writer: WriterThread | None = None
        self._writer_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._url = url
        self._loop_batcher: SQLiteLoopBatcher | PostgresLoopBatcher | None = None
        if self.is_sqlite:
            self._loop_engine = create_db_engine(url, never_wait=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in its own unit of work without blocking the event loop."""
        if self.is_sqlite:
            return await self._group_writer().submit_from_loop(work)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(POSTGRES_UNIT_THREADS, thread_name_prefix="db")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run_now, work)

    def run_callback(self, work: Callable[[Session], T], *,
                     declared: Sequence[DeclaredStatement] = ()) -> asyncio.Future[T]:
        """Run a callback's unit of work; the future resolves once it is durable.

        For short units that never wait long on a lock. It may share its
        transaction and its COMMIT with other callbacks' units (see
        app/group_commit.py), which has two consequences for ``work``: it may
        run twice (when a unit of its batch fails, each runs again alone), so
        it has no effect outside the session; and it usually runs on the event
        loop itself, so it must not compute for long. ``declared`` are statements
        ``work`` declares it will read (through :meth:`RawSQL.declared_row` or
        :meth:`RawSQL.rows_sent_ahead`): they may go out ahead, with the other
        units' of its batch.
        """
        if self._loop_batcher is None:
            self._loop_batcher = (
                SQLiteLoopBatcher(sessionmaker(self._loop_engine, expire_on_commit=False),
                                  self._group_writer()) if self.is_sqlite
                else PostgresLoopBatcher(normalize_url(self._url), self._group_writer()))
        return self._loop_batcher.submit(work, declared)

    def _run_now(self, work: Callable[[Session], T]) -> T:
        with self.unit_of_work() as session:
            return work(session)

    def _group_writer(self) -> WriterThread:
        if self._writer is None:
            with self._writer_lock:
                if self._writer is None:
                    self._writer = WriterThread(self.sessions, self.engine)
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
        if isinstance(self._loop_batcher, PostgresLoopBatcher):
            await self._loop_batcher.aclose()
            self._loop_batcher = None
        self.close()

    def close(self) -> None:
        if isinstance(self._loop_batcher, PostgresLoopBatcher):
            self._loop_batcher.close()
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.engine.dispose()
        if self.is_sqlite:
            self._loop_engine.dispose()


