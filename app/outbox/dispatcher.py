"""Sending due outbox rows: claim with a lease, plan a channel, send, record the outcome.

One :meth:`Dispatcher.run_once` is one batch:

1. **claim** up to ``batch_size`` due rows in one statement: pending rows whose
   ``due_at`` has come, and rows still ``sending`` whose lease ran out (their
   dispatcher died mid-send). PostgreSQL picks them with ``FOR UPDATE SKIP
   LOCKED``, so racing dispatchers take disjoint rows without waiting; SQLite
   has one writer at a time, so its ``UPDATE … WHERE id IN (SELECT … LIMIT n)
   RETURNING`` is atomic by itself. The claim sets ``claimed_by`` and
   ``lease_until`` and counts the attempt.
2. **plan** each row (:mod:`app.outbox.planner`) from the member's 48-hour
   window, the customer-service messages already sent in it and the
   member's subscribe-message credits;
3. **send** concurrently (bounded, rate-limited) through :class:`WeChatAPI`,
   which refreshes a refused token once and retries transient errors briefly;
   a subscribe message first spends one credit in its own unit of work
   (:mod:`app.outbox.credits`) and gives it back if the send fails on the way;
4. **mark** each row as soon as its call returns, only if this dispatcher
   still holds it: sent; pending again with an exponential backoff (errcode
   -1, 45009, timeouts, 5xx, a refused token); failed with the reason (43004,
   45015 without a template to fall back on, 40003, other permanent errors);
   unsendable when no channel reaches the member.

**Backoff and giving up.** A transient failure keeps the row's ``due_at`` (when
it should have gone out) and holds the row back through ``lease_until``
instead, with nobody as its holder; the wait doubles from ``backoff_seconds``
up to ``backoff_max_seconds``. Transient failures are outages, and an outage
says nothing about the message, so they never count against it: a row is
given up only when it is still undelivered ``give_up_after_seconds`` after its
due time (a reminder a day late helps nobody), or at once on a permanent error.
The cap is low so that once the platform is back every row is tried again
within a few minutes, and rows that failed together come back spread out.
Once a send of a batch has failed that way, the batch's sends not yet started
are not tried, nor counted as attempts, and the dispatcher pauses before its
next batch: ``backoff_seconds``, doubling with each batch in a row that meets
the outage, up to ``backoff_max_seconds``. A platform that is down sees a few
calls per pause instead of one per row and round (bench/faults.py; the
figures are in bench/NOTES.md).

A row whose payload has an ``expires_at`` is failed unsent once that time has
come: an event reminder once its event has begun.

A row is sent at least once and, as long as a send finishes within the lease,
at most once. A send starts only in the first half of its row's lease (the
other half covers the slowest send), so a batch slowed down by a hanging
platform leaves its unsent rows to the next claim instead of racing it. A
process being stopped (:meth:`Dispatcher.stop`, on SIGTERM) starts no more
sends and waits for the answers to those under way. The only duplicate left
is a process killed outright between the platform accepting a message and
the mark: customer-service messages have no idempotency key, so that one goes
out twice; template messages carry ``client_msg_id`` and the platform drops
the repeat itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from prometheus_client import Counter
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Member, OutboxMessage
from app.outbox import credits
from app.outbox.planner import Channel, Plan, fallback, plan
from app.outbox.reach import Recipient, load_recipients
from app.outbox.service import FAILED, PENDING, SENDING, SENT, UNSENDABLE
from app.wechat.api import (
    AccessTokenInvalid,
    InvalidCredentials,
    NewsArticle,
    OutOfResponseQuota,
    PermanentError,
    ResponseWindowClosed,
    TransientError,
    UserUnsubscribed,
    WeChatAPI,
    template_value,
)
from app.wechat.token_store import process_owner

__all__ = ["DispatchConfig", "DispatchStats", "Dispatcher"]

log = logging.getLogger("hongxin.outbox")

OUTBOX_MESSAGES = Counter(
    "hongxin_outbox_messages_total",
    "Outbox rows handled by the dispatcher, by kind and outcome.",
    ["kind", "outcome"],
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """How one dispatcher behaves; the defaults suit production."""

    template_id: str | None = None
    # HONGXIN_MP_REMINDER_TEMPLATE_ID: the mini-program's subscribe-message template.
    subscribe_template_id: str | None = None
    batch_size: int = 100
    # Longer than the slowest send: 3 attempts of a 10 s timeout plus backoff.
    lease_seconds: float = 120.0
    concurrency: int = 8
    # Outbound calls per second from this process; None for no limit.
    rate_per_second: float | None = 50.0
    backoff_seconds: float = 30.0
    # Low enough that a recovered platform sees every waiting row within minutes.
    backoff_max_seconds: float = 300.0
    give_up_after_seconds: float = 24 * 3600.0


@dataclass(slots=True)
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unsendable: int = 0
    lost: int = 0  # rows another dispatcher took over before we marked them
    deferred: int = 0  # rows whose lease ran too short before a send slot freed
    held_back: int = 0  # rows not tried because another send of the batch met an outage

    def add(self, other: DispatchStats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    kind: str
    member_id: int
    payload: dict[str, Any]
    attempts: int
    due_at: datetime
    last_error: str | None
    last_errcode: int | None


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: str
    channel: str | None = None
    error: str | None = None
    errcode: int | None = None
    retry_at: datetime | None = None
    unfollowed: bool = False
    platform_failing: bool = False  # a transient failure: an outage, not this message


@dataclass(slots=True)
class _Outage:
    """Whether a send of this batch failed in a way that says the platform is down."""

    met: bool = False


def _expired_at(row: _Claimed, now: datetime) -> datetime | None:
    """The payload's ``expires_at`` when it has passed (a reminder after its event began)."""
    value = row.payload.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        expires_at = datetime.fromisoformat(value)
    except ValueError:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at if now >= expires_at else None


class InvalidPayload(PermanentError):
    """The row's payload has nothing the chosen channel can send."""


class _RateLimiter:
    """Evenly spaced calls: simple, and bursts are what the platform punishes (45011)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self._next)
        self._next = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class Dispatcher:
    database: Database
    api: WeChatAPI
    config: DispatchConfig = field(default_factory=DispatchConfig)
    owner: str = field(default_factory=process_owner)
    clock: Callable[[], datetime] = _utcnow
    # The mini-program's client, for subscribe messages; without it none are sent.
    mp_api: WeChatAPI | None = None

    def __post_init__(self) -> None:
        self._lease = timedelta(seconds=self.config.lease_seconds)
        self._limiter = (_RateLimiter(self.config.rate_per_second)
                         if self.config.rate_per_second else None)
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._paused_until: datetime | None = None
        self._outages_in_a_row = 0
        self._stopping = False

    def stop(self) -> None:
        """Claim no more rows; a batch being sent finishes its sends under way and gives
        back the others, so that the process can exit without leaving a send unrecorded."""
        self._stopping = True

    async def drain(self, max_batches: int | None = None) -> DispatchStats:
        """Batches until fewer than a full batch was due (or ``max_batches`` ran)."""
        total = DispatchStats()
        batches = 0
        while max_batches is None or batches < max_batches:
            stats = await self.run_once()
            total.add(stats)
            batches += 1
            if stats.claimed < self.config.batch_size:
                break
        return total

    async def run_once(self) -> DispatchStats:
        """Claim one batch of due rows, send them and record every outcome."""
        now = self.clock()
        if self._stopping or (self._paused_until is not None and now < self._paused_until):
            return DispatchStats()
        claimed, recipients = await self.database.run(partial(self._claim, now=now))
        stats = DispatchStats(claimed=len(claimed))
        if not claimed:
            return stats
        used = {member_id: r.reach.custom_sent_in_window for member_id, r in recipients.items()}
        # Past the middle of the lease a send might outlast it and race the next claim.
        send_by = now + self._lease / 2
        outage = _Outage()
        jobs = []
        for row in claimed:
            recipient = recipients.get(row.member_id)
            if row.attempts > 1 and self._too_late(row, now):
                # Tried before and never settled (its dispatchers died) or kept failing.
                outcome = _Outcome(FAILED, errcode=row.last_errcode,
                                   error=self._give_up_reason(row, row.last_error))
                jobs.append(self._finish(row, outcome, stats))
                continue
            expired = _expired_at(row, now)
            if expired is not None:
                jobs.append(self._finish(row, _Outcome(FAILED, error=(
                    f"not sent: its time passed at {expired.isoformat()} "
                    f"({row.attempts} attempts)")), stats))
                continue
            if recipient is None:  # the member row is gone (the FK cascades, so rarely)
                jobs.append(self._finish(row, _Outcome(UNSENDABLE, error="no such member"),
                                         stats))
                continue
            reach = replace(recipient.reach, custom_sent_in_window=used.get(row.member_id, 0))
            plan_ = plan(reach, now, template_id=self.config.template_id,
                         subscribe_template_id=self._subscribe_template_id(),
                         has_template_data=bool(row.payload.get("template_data")))
            if plan_.channel is Channel.CUSTOM:
                # Several rows for one member in a batch share the window's budget.
                used[row.member_id] = used.get(row.member_id, 0) + 1
            jobs.append(self._deliver(row, recipient, plan_, stats, send_by, outage))
        await asyncio.gather(*jobs)
        self._pause_after(outage)
        return stats

    def _pause_after(self, outage: _Outage) -> None:
        if not outage.met:
            self._outages_in_a_row = 0
            self._paused_until = None
            return
        self._outages_in_a_row += 1
        delay = self._backoff(self._outages_in_a_row)
        self._paused_until = self.clock() + timedelta(seconds=delay)
        log.warning("the platform is failing; outbox paused for %.0f s (%d batch(es) in a row)",
                    delay, self._outages_in_a_row)

    def _backoff(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row: doubling, capped."""
        # 2 ** 30 backoff steps are years: the exponent stays bounded for any count.
        steps = min(failures - 1, 30)
        delay = min(self.config.backoff_seconds * 2.0 ** steps, self.config.backoff_max_seconds)
        # Jitter keeps rows that failed together from coming back together.
        return delay * random.uniform(1.0, 1.25)  # noqa: S311 - not for security

    def _too_late(self, row: _Claimed, at: datetime) -> bool:
        return at - row.due_at > timedelta(seconds=self.config.give_up_after_seconds)

    def _give_up_reason(self, row: _Claimed, error: str | None) -> str:
        hours = self.config.give_up_after_seconds / 3600
        return (f"gave up: not delivered within {hours:g} h of its due time "
                f"({row.attempts} attempts); last error: {error or 'none recorded'}")

    # ------------------------------------------------------------------ claim

    def _claim(self, session: Session, *, now: datetime
               ) -> tuple[list[_Claimed], dict[int, Recipient]]:
        outbox = OutboxMessage
        # A pending row's lease_until is its backoff: no one takes it before then.
        due = or_(and_(outbox.status == PENDING, outbox.due_at <= now,
                       or_(outbox.lease_until.is_(None), outbox.lease_until <= now)),
                  and_(outbox.status == SENDING, outbox.lease_until < now))
        candidates = (
            select(outbox.id).where(due).order_by(outbox.due_at, outbox.id)
            .limit(self.config.batch_size)
            .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite ignores it
        )
        rows = session.execute(
            update(outbox)
            .where(outbox.id.in_(candidates))
            .values(status=SENDING, lease_until=now + self._lease, claimed_by=self.owner,
                    attempts=outbox.attempts + 1)
            .returning(outbox.id, outbox.kind, outbox.member_id, outbox.payload,
                       outbox.attempts, outbox.due_at, outbox.last_error, outbox.last_errcode)
            .execution_options(synchronize_session=False)
        ).all()
        claimed = sorted((_Claimed(*row) for row in rows), key=lambda row: row.id)
        recipients = load_recipients(session, {row.member_id for row in claimed},
                                     subscribe_template_id=self._subscribe_template_id())
        return claimed, recipients

    def _subscribe_template_id(self) -> str | None:
        return self.config.subscribe_template_id if self.mp_api is not None else None

    # ------------------------------------------------------------------ send

    async def _deliver(self, row: _Claimed, recipient: Recipient, plan_: Plan,
                       stats: DispatchStats, send_by: datetime, outage: _Outage) -> None:
        async with self._slots:
            if outage.met or self._stopping or self.clock() > send_by:
                outcome = None
            else:
                outcome = await self._send(row, recipient, plan_)
                if outcome.platform_failing:
                    outage.met = True
        if outcome is None:
            await self._give_back(row, stats, held_back=outage.met)
            return
        await self._finish(row, outcome, stats)

    async def _send(self, row: _Claimed, recipient: Recipient, plan_: Plan) -> _Outcome:
        if plan_.channel is None:
            return _Outcome(UNSENDABLE, error=plan_.reason)
        channel = plan_.channel
        try:
            if channel is Channel.CUSTOM:
                try:
                    await self._send_custom(row, recipient.openid)
                    return _Outcome(SENT, channel=channel.value)
                except (ResponseWindowClosed, OutOfResponseQuota) as refused:
                    # Our view of the window was wrong (the platform knows best):
                    # the template or subscribe channel may still get through.
                    second = fallback(f"customer-service message refused ({refused.errcode})",
                                      recipient.reach, template_id=self.config.template_id,
                                      subscribe_template_id=self._subscribe_template_id(),
                                      has_template_data=bool(row.payload.get("template_data")))
                    if second.channel is None:
                        raise
                    channel = second.channel
            if channel is Channel.SUBSCRIBE:
                return await self._send_subscribe(row, recipient)
            await self._send_template(row, recipient.openid)
            return _Outcome(SENT, channel=channel.value)
        except UserUnsubscribed as exc:
            return _Outcome(FAILED, channel=channel.value, error=str(exc), errcode=exc.errcode,
                            unfollowed=True)
        except (TransientError, AccessTokenInvalid, InvalidCredentials) as exc:
            # A refused token that survived one refresh, or credentials being fixed,
            # are worth another try later like a busy platform.
            outcome = self._retry_later(row, channel, str(exc), exc.errcode)
            return replace(outcome, platform_failing=True)
        except PermanentError as exc:
            return _Outcome(FAILED, channel=channel.value, error=str(exc), errcode=exc.errcode)
        except Exception as exc:
            log.exception("outbox row %d: unexpected error while sending", row.id)
            return self._retry_later(row, channel, f"{type(exc).__name__}", None)

    def _retry_later(self, row: _Claimed, channel: Channel, error: str,
                     errcode: int | None) -> _Outcome:
        delay = self._backoff(row.attempts)
        retry_at = self.clock() + timedelta(seconds=delay)
        if self._too_late(row, retry_at):
            return _Outcome(FAILED, channel=channel.value, errcode=errcode,
                            error=self._give_up_reason(row, error))
        return _Outcome(PENDING, channel=channel.value, error=error, errcode=errcode,
                        retry_at=retry_at)

    async def _send_custom(self, row: _Claimed, openid: str) -> None:
        articles = row.payload.get("articles")
        text = row.payload.get("text")
        await self._pace()
        if isinstance(articles, list) and articles and isinstance(articles[0], dict):
            first = articles[0]
            await self.api.send_custom_news(openid, NewsArticle(
                title=str(first.get("title", "")), description=str(first.get("description", "")),
                url=str(first.get("url", "")), picurl=str(first.get("picurl") or ""),
            ))
        elif isinstance(text, str) and text:
            await self.api.send_custom_text(openid, text)
        else:
            raise InvalidPayload(None, "payload has neither text nor articles")

    async def _send_template(self, row: _Claimed, openid: str) -> None:
        data = row.payload.get("template_data")
        if not isinstance(data, dict) or not data or not self.config.template_id:
            raise InvalidPayload(None, "payload has no template_data")
        url = row.payload.get("url")
        await self._pace()
        await self.api.send_template(
            openid, self.config.template_id,
            {str(key): template_value(str(value)) for key, value in data.items()},
            url=url if isinstance(url, str) and url else None,
            client_msg_id=f"hongxin-outbox-{row.id}",
        )

    async def _send_subscribe(self, row: _Claimed, recipient: Recipient) -> _Outcome:
        """Spend one credit, then send; a send that failed on the way gives it back."""
        template_id = self.config.subscribe_template_id
        data = row.payload.get("template_data")
        if (self.mp_api is None or not template_id or recipient.mp_openid is None
                or not isinstance(data, dict) or not data):
            raise InvalidPayload(None, "no subscribe message can be sent for this row")
        spent = await self.database.run(partial(
            credits.spend, member_id=row.member_id, template_id=template_id, now=self.clock()))
        if not spent:
            return _Outcome(UNSENDABLE, channel=Channel.SUBSCRIBE.value,
                            error="no subscribe-message credits left")
        await self._pace()
        try:
            await self.mp_api.send_subscribe(
                recipient.mp_openid, template_id,
                {str(key): template_value(str(value)) for key, value in data.items()})
        except (TransientError, AccessTokenInvalid, InvalidCredentials):
            # Not delivered (as far as we know): the credit is still the member's.
            await self.database.run(partial(
                credits.give_back, member_id=row.member_id, template_id=template_id,
                now=self.clock()))
            raise
        return _Outcome(SENT, channel=Channel.SUBSCRIBE.value)

    async def _pace(self) -> None:
        if self._limiter is not None:
            await self._limiter.wait()

    # ------------------------------------------------------------------ mark

    async def _give_back(self, row: _Claimed, stats: DispatchStats, *, held_back: bool) -> None:
        def work(session: Session) -> bool:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.owner,
                       OutboxMessage.status == SENDING)
                # Not an attempt: nothing was sent.
                .values(status=PENDING, lease_until=None, claimed_by=None,
                        attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

        if not await self.database.run(work):
            stats.lost += 1
        elif held_back:
            stats.held_back += 1
        else:
            stats.deferred += 1

    async def _finish(self, row: _Claimed, outcome: _Outcome, stats: DispatchStats) -> None:
        held = await self.database.run(partial(self._mark, row=row, outcome=outcome))
        OUTBOX_MESSAGES.labels(row.kind, outcome.status).inc()
        if not held:
            stats.lost += 1
            log.warning("outbox row %d was taken over by another dispatcher before its "
                        "outcome (%s) was recorded", row.id, outcome.status)
            return
        if outcome.status == SENT:
            stats.sent += 1
        elif outcome.status == PENDING:
            stats.retried += 1
        elif outcome.status == FAILED:
            stats.failed += 1
        else:
            stats.unsendable += 1
        if outcome.status != SENT:
            log.info("outbox row %d kind=%s attempt=%d -> %s: %s", row.id, row.kind,
                     row.attempts, outcome.status, outcome.error)

    def _mark(self, session: Session, *, row: _Claimed, outcome: _Outcome) -> bool:
        now = self.clock()
        values: dict[str, Any] = {"status": outcome.status, "lease_until": None,
                                  "claimed_by": None, "last_error": outcome.error,
                                  "last_errcode": outcome.errcode}
        if outcome.channel is not None:
            values["channel"] = outcome.channel
        if outcome.status == SENT:
            values["sent_at"] = now
        if outcome.retry_at is not None:
            values["lease_until"] = outcome.retry_at
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == self.owner,
                   OutboxMessage.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if outcome.unfollowed:
            session.execute(
                update(Member).where(Member.id == row.member_id).values(subscribed=False)
                .execution_options(synchronize_session=False)
            )
        return bool(getattr(result, "rowcount", 0))
