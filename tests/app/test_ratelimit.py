"""The database-kept rate-limit counter, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import TooManyRequests
from app.models import RateLimitCounter
from app.ratelimit import counter
from app.ratelimit.counter import Limit
from app.scheduler.jobs import housekeeping
from tests.support.units import run_unit

LIMIT = Limit("test", max_hits=3, window=timedelta(minutes=1))
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def hits(database: Database, subject: str, moments: list[datetime],
         limit: Limit = LIMIT) -> list[bool]:
    return [run_unit(database, lambda s, m=m: counter.hit(s, limit, subject, m)).allowed
            for m in moments]


def test_the_hit_past_the_limit_is_refused_until_the_window_ends(database: Database) -> None:
    second = timedelta(seconds=1)
    assert hits(database, "10.0.0.1", [T0, T0 + second, T0 + 2 * second, T0 + 59 * second]) \
        == [True, True, True, False]
    refused = run_unit(database, lambda s: counter.hit(s, LIMIT, "10.0.0.1", T0 + 30 * second))
    assert (refused.allowed, refused.retry_after) == (False, 30)
    # The window started with the first hit, so it has ended one minute later.
    assert hits(database, "10.0.0.1", [T0 + 60 * second, T0 + 61 * second]) == [True, True]


def test_subjects_and_scopes_are_counted_apart(database: Database) -> None:
    assert hits(database, "member:1", [T0] * 4) == [True, True, True, False]
    assert hits(database, "member:2", [T0] * 3) == [True, True, True]
    other = Limit("other", max_hits=1, window=timedelta(minutes=1))
    assert hits(database, "member:1", [T0, T0], other) == [True, False]


def test_a_given_back_hit_does_not_count(database: Database) -> None:
    def hit_and_give_back(session: Session) -> None:
        counter.hit(session, LIMIT, "10.0.0.9", T0)
        counter.give_back(session, LIMIT, "10.0.0.9", T0)

    for _ in range(5):
        run_unit(database, hit_and_give_back)
    assert hits(database, "10.0.0.9", [T0] * 4) == [True, True, True, False]


def test_a_refusal_raised_in_the_unit_of_work_leaves_nothing_behind(database: Database) -> None:
    hits(database, "10.0.0.2", [T0] * 3)
    with pytest.raises(TooManyRequests) as refused:
        run_unit(database, lambda s: counter.enforce(s, LIMIT, "10.0.0.2", T0, "slow down"))
    assert refused.value.headers == {"Retry-After": "60"}
    stored = run_unit(database, lambda s: s.scalars(select(RateLimitCounter.hits)).all())
    assert stored == [3]


def test_subjects_are_stored_only_as_digests(database: Database) -> None:
    hits(database, "203.0.113.77", [T0])
    stored = run_unit(database, lambda s: s.scalars(select(RateLimitCounter.subject)).one())
    assert "203.0.113" not in stored and len(stored) == 64


def test_processes_racing_on_one_subject_allow_exactly_the_limit(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(3)]
    limit = Limit("race", max_hits=10, window=timedelta(minutes=1))
    try:
        with ThreadPoolExecutor(12) as pool:
            verdicts = list(pool.map(
                lambda n: run_unit(databases[n % 3],
                    lambda s: counter.hit(s, limit, "member:7", T0).allowed),
                range(40)))
    finally:
        for database in databases:
            database.close()
    assert verdicts.count(True) == 10


def test_housekeeping_deletes_counters_older_than_any_window(database: Database) -> None:
    hits(database, "old", [T0])
    hits(database, "recent", [T0 + timedelta(hours=23)])
    later = T0 + counter.RETENTION + timedelta(hours=1)
    done = run_unit(database, lambda s: housekeeping(s, later))
    assert done["rate_limit_counters"] == 1
    left = run_unit(database, lambda s: s.scalar(select(func.count(RateLimitCounter.subject))))
    assert left == 1


@pytest.mark.parametrize("bad", [
    {"scope": "", "max_hits": 1, "window": timedelta(minutes=1)},
    {"scope": "x", "max_hits": 0, "window": timedelta(minutes=1)},
    {"scope": "x", "max_hits": 1, "window": timedelta(days=2)},
])
def test_limits_longer_than_the_retention_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Limit(**bad)  # type: ignore[arg-type]
