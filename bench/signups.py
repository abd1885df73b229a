"""Sign-ups per second under contention, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.signups [--signups 2000] [--seats 10] [--threads 32]

Two runs in the same process, with the same members, threads and
:class:`Database` instances (four of them, as four processes would have):

* **baseline** — every sign-up is for a different event, so no two touch the
  same event row (uncontended);
* **contended** — every sign-up is for the same event with ``--seats`` seats,
  so they all queue on one row lock (PostgreSQL) or the one write lock (SQLite)
  and all but the first few land on the waitlist.

It prints sign-ups per second for both and their ratio, and checks that the
contended event has exactly ``--seats`` confirmed. PostgreSQL runs when its
server binaries are installed (a throwaway server, as in the tests).
:func:`main` returns the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

ZONE = ZoneInfo("Asia/Shanghai")
DATABASES = 4


def _prepare(url: str, signups: int, seats: int) -> tuple[list[int], list[int], int]:
    """Members, one roomy event per member (baseline) and the contended event."""
    from app import migrations
    from app.db import Database
    from app.models import Event, Member

    migrations.upgrade(url)
    database = Database(url)
    now = datetime.now(UTC)
    event_row = {"description": "", "location": "党员活动室", "starts_at": now + timedelta(days=7),
                 "seats_taken": 0, "remind_before_minutes": 60, "status": "scheduled",
                 "created_at": now, "updated_at": now}

    def work(session: Session) -> tuple[list[int], list[int], int]:
        session.execute(insert(Member), [
            {"openid": f"o_bench_{i}", "first_seen_at": now, "last_interaction_at": now,
             "subscribed": True, "daily_push": False, "name": f"成员{i}"}
            for i in range(signups)])
        session.execute(insert(Event), [
            {**event_row, "title": f"基线活动{i}", "capacity": 100} for i in range(signups)])
        session.execute(insert(Event), [{**event_row, "title": "热门活动", "capacity": seats}])
        members = list(session.scalars(select(Member.id).order_by(Member.id)))
        events = list(session.scalars(select(Event.id).order_by(Event.id)))
        return members, events[:-1], events[-1]

    try:
        with database.unit_of_work() as session:
            return work(session)
    finally:
        database.close()


def _outcome(session: Session, *, member_id: int, event_id: int, now: datetime) -> str:
    from app.events.signups import sign_up

    return sign_up(session, member_id, event_id, now, ZONE).outcome


def _run(url: str, pairs: list[tuple[int, int]], threads: int) -> tuple[float, list[str]]:
    from app.db import Database

    databases = [Database(url) for _ in range(DATABASES)]
    start = threading.Barrier(threads + 1)
    now = datetime.now(UTC)
    chunks = [pairs[i::threads] for i in range(threads)]

    def worker(index: int) -> list[str]:
        database = databases[index % DATABASES]
        start.wait()
        outcomes: list[str] = []
        for member_id, event_id in chunks[index]:
            with database.unit_of_work() as session:
                outcomes.append(_outcome(session, member_id=member_id, event_id=event_id,
                                         now=now))
        return outcomes

    try:
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(worker, i) for i in range(threads)]
            start.wait()
            began = time.perf_counter()
            outcomes = [outcome for future in futures for outcome in future.result()]
            seconds = time.perf_counter() - began
    finally:
        for database in databases:
            database.close()
    return seconds, outcomes


def measure(url: str, signups: int, seats: int, threads: int) -> dict[str, float]:
    members, roomy_events, hot_event = _prepare(url, signups, seats)
    baseline_seconds, baseline = _run(url, list(zip(members, roomy_events, strict=True)),
                                      threads)
    contended_seconds, contended = _run(url, [(m, hot_event) for m in members], threads)
    assert baseline.count("confirmed") == signups, "baseline sign-ups must all be confirmed"
    assert contended.count("confirmed") == seats, f"overbooked: {contended.count('confirmed')}"
    assert contended.count("waitlisted") == signups - seats
    baseline_rate = signups / baseline_seconds
    contended_rate = signups / contended_seconds
    return {"signups": signups, "seats": seats, "threads": threads,
            "baseline_per_second": round(baseline_rate, 1),
            "contended_per_second": round(contended_rate, 1),
            "ratio": round(contended_rate / baseline_rate, 3),
            "confirmed": contended.count("confirmed")}


@contextlib.contextmanager
def _postgres() -> Iterator[str | None]:
    try:
        from tests.support.postgres import PostgresUnavailable, running_postgres
    except ImportError:
        yield None
        return
    try:
        with running_postgres() as server:
            from app.db import normalize_url

            engine = create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("CREATE DATABASE hongxin_bench_signups"))
            engine.dispose()
            yield server.rsplit("/", 1)[0] + "/hongxin_bench_signups"
    except PostgresUnavailable as problem:
        print(f"PostgreSQL skipped: {problem}")
        yield None


def main(signups: int = 2000, seats: int = 10, threads: int = 32,
         postgres_url: str | None = None, with_postgres: bool = True) -> dict[str, Any]:
    """Figures per backend: sign-ups per second uncontended and contended, and their ratio."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-signups-") as scratch:
        sqlite_url = f"sqlite:///{Path(scratch) / 'signups.db'}"
        figures["sqlite"] = measure(sqlite_url, signups, seats, threads)
        _print("sqlite", figures["sqlite"])
    if postgres_url is not None:
        figures["postgresql"] = measure(postgres_url, signups, seats, threads)
    elif with_postgres:
        with _postgres() as url:
            if url is not None:
                figures["postgresql"] = measure(url, signups, seats, threads)
    if "postgresql" in figures:
        _print("postgresql", figures["postgresql"])
    return figures


def _print(backend: str, result: dict[str, float]) -> None:
    print(f"{backend:10} baseline {result['baseline_per_second']:8.1f} sign-ups/s   "
          f"contended {result['contended_per_second']:8.1f} sign-ups/s   "
          f"ratio {result['ratio']:.2f}   confirmed {result['confirmed']}/{result['seats']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    main(args.signups, args.seats, args.threads, with_postgres=not args.no_postgres)
