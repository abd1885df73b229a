"""The access token in the database, so every Hongxin process shares one.

The platform keeps one valid token per app, and a fetch through ``/cgi-bin/token``
invalidates the previous token a few minutes later: two processes that each fetch
keep knocking each other's token out. So the token lives in one row per app
(:class:`~app.models.AccessTokenRow`) and a fetch needs the row's refresh lease:

* a fresh token in the row (not the caller's ``stale`` one) is used as it is;
* otherwise one caller takes the lease with a conditional ``UPDATE`` (the
  database serialises competing updates, so exactly one wins), fetches, stores
  the token and drops the lease;
* the others keep using the old token while it has not expired yet (refresh
  ahead of expiry), or poll the row until the new token appears. A lease
  whose holder died runs out after ``lease_seconds`` and is taken over.

Tokens are refreshed ``margin`` seconds before the platform says they expire
(at most half their lifetime, so very short test TTLs still work).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from app.db import Database
from app.dialect import insert_or_ignore
from app.models import AccessTokenRow
from app.wechat.api import TokenFetcher

__all__ = ["DatabaseTokenStore", "process_owner"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def process_owner() -> str:
    """A name for this process in leases: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class _Decision:
    token: str | None  # a token to use now
    leased: bool  # we hold the lease and must fetch


class DatabaseTokenStore:
    """A :class:`~app.wechat.api.TokenStore` backed by the ``access_tokens`` table."""

    def __init__(
        self,
        database: Database,
        app_id: str,
        *,
        margin: float = 300.0,
        lease_seconds: float = 30.0,
        poll_seconds: float = 0.05,
        clock: Clock = _utcnow,
        owner: str | None = None,
    ) -> None:
        self._database = database
        self._app_id = app_id
        self._margin = margin
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._clock = clock
        self._owner = owner or process_owner()
        # One refresh at a time per process; other processes are kept out by the lease.
        self._lock = asyncio.Lock()
        self._cached: tuple[str, datetime] | None = None

    def __repr__(self) -> str:
        return f"DatabaseTokenStore(app_id={self._app_id!r}, cached={self._cached is not None})"

    async def get(self) -> str | None:
        now = self._clock()
        if self._cached is not None and now < self._cached[1]:
            return self._cached[0]
        decision = await self._database.run(partial(self._read, now=now))
        return decision.token

    async def refresh(self, fetch: TokenFetcher, stale: str | None) -> str:
        async with self._lock:
            waited = False
            while True:
                now = self._clock()
                decision = await self._database.run(partial(self._decide, stale=stale, now=now))
                if decision.token is not None:
                    return decision.token
                if decision.leased:
                    return await self._fetch_and_store(fetch)
                if not waited:
                    log.info("access token of %s is being refreshed elsewhere; waiting",
                             self._app_id)
                    waited = True
                await asyncio.sleep(self._poll)

    # ------------------------------------------------------------------ steps

    async def _fetch_and_store(self, fetch: TokenFetcher) -> str:
        try:
            token, expires_in = await fetch()
        except BaseException:
            await asyncio.shield(self._database.run(self._release))
            raise
        now = self._clock()
        lifetime = max(expires_in - self._margin, expires_in / 2)
        refresh_after = now + timedelta(seconds=lifetime)
        expires_at = now + timedelta(seconds=expires_in)
        await self._database.run(
            partial(self._store, token=token, expires_at=expires_at,
                    refresh_after=refresh_after, now=now)
        )
        self._cached = (token, refresh_after)
        log.info("fetched a new access token for %s (expires in %d s)", self._app_id, expires_in)
        return token

    def _read(self, session: Session, *, now: datetime) -> _Decision:
        row = session.get(AccessTokenRow, self._app_id)
        if row is not None and row.token and row.refresh_after and now < row.refresh_after:
            self._cached = (row.token, row.refresh_after)
            return _Decision(row.token, leased=False)
        return _Decision(None, leased=False)

    def _decide(self, session: Session, *, stale: str | None, now: datetime) -> _Decision:
        row = session.get(AccessTokenRow, self._app_id, populate_existing=True)
        if row is None:
            self._insert_empty_row(session, now)
            row = session.get(AccessTokenRow, self._app_id, populate_existing=True)
            assert row is not None
        usable = row.token is not None and row.token != stale
        if usable and row.refresh_after is not None and now < row.refresh_after:
            assert row.token is not None
            self._cached = (row.token, row.refresh_after)
            return _Decision(row.token, leased=False)
        if self._take_lease(session, stale, now):
            return _Decision(None, leased=True)
        session.refresh(row)
        usable = row.token is not None and row.token != stale
        # Someone else is refreshing; the old token still works until it expires.
        if usable and row.expires_at is not None and now < row.expires_at:
            return _Decision(row.token, leased=False)
        return _Decision(None, leased=False)

    def _insert_empty_row(self, session: Session, now: datetime) -> None:
        values = {"app_id": self._app_id, "updated_at": now}
        session.execute(insert_or_ignore(session, AccessTokenRow).values(values))

    def _take_lease(self, session: Session, stale: str | None, now: datetime) -> bool:
        """One conditional UPDATE: only one of several racing callers gets a row back."""
        lease_free = or_(AccessTokenRow.lease_until.is_(None), AccessTokenRow.lease_until < now)
        needs_refresh: ColumnElement[bool] = or_(
            AccessTokenRow.token.is_(None),
            AccessTokenRow.refresh_after.is_(None),
            AccessTokenRow.refresh_after <= now,
        )
        if stale is not None:
            needs_refresh = or_(needs_refresh, AccessTokenRow.token == stale)
        result = session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.app_id == self._app_id, and_(lease_free, needs_refresh))
            .values(lease_until=now + self._lease, lease_owner=self._owner, updated_at=now)
            .returning(AccessTokenRow.app_id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    def _store(
        self,
        session: Session,
        *,
        token: str,
        expires_at: datetime,
        refresh_after: datetime,
        now: datetime,
    ) -> None:
        # Stored even if our lease ran out meanwhile: the token is the newest one
        # the platform issued, so it is the one every process should use.
        session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.app_id == self._app_id)
            .values(token=token, expires_at=expires_at, refresh_after=refresh_after,
                    lease_until=None, lease_owner=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    def _release(self, session: Session) -> None:
        session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.app_id == self._app_id,
                   AccessTokenRow.lease_owner == self._owner)
            .values(lease_until=None, lease_owner=None)
            .execution_options(synchronize_session=False)
        )


def token_row(session: Session, app_id: str) -> AccessTokenRow | None:
    """The stored row (for operations and tests); the token itself must never be printed."""
    return session.scalar(select(AccessTokenRow).where(AccessTokenRow.app_id == app_id))
