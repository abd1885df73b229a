"""A windowed counter per limit and subject, kept in the ``rate_limit_counters`` table.

Several ``hongxin serve`` processes share one database and nothing else, so a
count kept in process memory would let each process allow the limit again.
No well-kept library keeps its counts in SQL: ``limits`` stores them in
memory, Redis, Memcached or MongoDB; pyrate-limiter (installed here as a
dependency of schemathesis) has SQLite and PostgreSQL buckets, but each opens
its own connection outside the request's unit of work (on SQLite a second
writer beside the group-commit writer), keeps one row per hit and creates its
table at run time instead of through Alembic.

So a counter of our own, one row per (limit, subject):

* A hit is one upsert that returns the new count: the first hit starts a
  window, later hits inside it add one, and the first hit after it ends starts
  a new window at one. ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` is atomic
  on PostgreSQL and under SQLite's write lock, so processes racing on one
  subject cannot both slip under the limit.
* The count is written in the caller's unit of work, so a request whose work
  rolls back takes its hit with it; a refusal raised as an error therefore
  changes nothing at all.
* A window starts at its subject's first hit, not on the clock's minute, so at
  most twice the limit fits into any span of one window (a full window's end
  and the next one's start). That is enough to hold off scripts, and it costs
  one statement where a sliding log would cost one row per hit.
* Subjects (member ids, client addresses) are stored and logged only as
  SHA-256 digests. Rows are reused, so the table holds at most one row per
  limit and subject seen within :data:`RETENTION`; housekeeping deletes older
  ones (:func:`purge`).
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_on_conflict
from app.errors import TooManyRequests
from app.models.ratelimit import RateLimitCounter

log = logging.getLogger("hongxin.ratelimit")

# No window may be longer, so a row untouched for this long is dead.
RETENTION = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_hits`` hits per subject in a window of ``window``."""

    scope: str
    max_hits: int
    window: timedelta

    def __post_init__(self) -> None:
        if not 0 < len(self.scope) <= 32 or self.max_hits < 1 \
                or not timedelta(0) < self.window <= RETENTION:
            raise ValueError(f"bad rate limit {self!r}")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    hits: int
    # Whole seconds until the subject's window ends (at least 1): the Retry-After value.
    retry_after: int


def digest(subject: str) -> str:
    return hashlib.sha256(subject.encode()).hexdigest()


def hit(session: Session, limit: Limit, subject: str, now: datetime) -> Verdict:
    """Count one hit by ``subject`` at ``now`` and say whether it is within the limit."""
    key = digest(subject)
    fresh = insert_on_conflict(session, RateLimitCounter).values(
        scope=limit.scope, subject=key, window_start=now, hits=1)
    ended = RateLimitCounter.window_start <= now - limit.window
    statement = fresh.on_conflict_do_update(
        index_elements=[RateLimitCounter.scope, RateLimitCounter.subject],
        # Both expressions read the row as it was before this update.
        set_={"hits": case((ended, 1), else_=RateLimitCounter.hits + 1),
              "window_start": case((ended, fresh.excluded.window_start),
                                   else_=RateLimitCounter.window_start)},
    ).returning(RateLimitCounter.hits, RateLimitCounter.window_start)
    hits, started = session.execute(statement).one()
    retry_after = max(1, math.ceil((started + limit.window - now).total_seconds()))
    allowed = hits <= limit.max_hits
    if hits == limit.max_hits + 1:
        # When the count first passes the limit, not on every refused hit, so a script
        # cannot flood the log. (A 429 raised in the caller's unit of work rolls its hit
        # back and is logged again; those come from signed-in members only.)
        log.warning("rate limit %s reached by %s; refused for %d s", limit.scope, key[:10],
                    retry_after)
    return Verdict(allowed=allowed, hits=hits, retry_after=retry_after)


def standing(session: Session, limit: Limit, subject: str, now: datetime) -> Verdict:
    """Where ``subject`` stands without counting a hit: refused once it has used up the limit.

    For limits that count failures only: the check costs a read, and only a
    failure writes.
    """
    row = session.execute(
        select(RateLimitCounter.hits, RateLimitCounter.window_start)
        .where(RateLimitCounter.scope == limit.scope, RateLimitCounter.subject == digest(subject))
    ).first()
    if row is None or row.window_start <= now - limit.window:
        return Verdict(allowed=True, hits=0, retry_after=1)
    retry_after = max(1, math.ceil((row.window_start + limit.window - now).total_seconds()))
    return Verdict(allowed=row.hits < limit.max_hits, hits=row.hits, retry_after=retry_after)


def give_back(session: Session, limit: Limit, subject: str, now: datetime) -> None:
    """Uncount a hit made at ``now`` that turned out not to count (a successful sign-in)."""
    session.execute(
        update(RateLimitCounter)
        .where(RateLimitCounter.scope == limit.scope,
               RateLimitCounter.subject == digest(subject),
               RateLimitCounter.window_start > now - limit.window,
               RateLimitCounter.hits > 0)
        .values(hits=RateLimitCounter.hits - 1)
        .execution_options(synchronize_session=False)
    )


def refusal(verdict: Verdict, message: str) -> TooManyRequests:
    """The 429 for a refused hit, telling the client when to come back."""
    return TooManyRequests(message, headers={"Retry-After": str(verdict.retry_after)})


def enforce(session: Session, limit: Limit, subject: str, now: datetime, message: str) -> None:
    """Count a hit; beyond the limit raise a 429, which rolls the caller's unit of work back."""
    verdict = hit(session, limit, subject, now)
    if not verdict.allowed:
        raise refusal(verdict, message)


def purge(session: Session, now: datetime) -> int:
    """Delete counters whose window ended long ago; returns how many."""
    result = session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.window_start < now - RETENTION)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
