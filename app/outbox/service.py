"""Writing outbox rows and operating on them (the ``hongxin outbox`` commands).

Every function takes the caller's session and only flushes: the caller's unit
of work commits the row together with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Text, cast, func, literal, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.models import Member, OutboxMessage

# Row states; see OutboxMessage.
PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, UNSENDABLE, WITHDRAWN = "failed", "unsendable", "withdrawn"
STATUSES = (PENDING, SENDING, SENT, FAILED, UNSENDABLE, WITHDRAWN)

# The kinds of message Hongxin sends; the payload conventions are in the README.
KINDS = ("late_reply", "event_reminder", "waitlist_promotion", "event_cancelled", "points_claim",
         "daily_lesson", "meeting_notice", "meeting_reminder", "compliance_reminder", "notice")


def enqueue(session: Session, *, dedup_key: str, kind: str, member_id: int,
            payload: Mapping[str, Any], due_at: datetime, now: datetime) -> bool:
    """Queue one message; ``False`` when a row with ``dedup_key`` already exists.

    Payload keys: ``text`` (customer-service text), optionally ``articles``
    (a news card instead of the text), ``template_data`` ({field: value}, used
    outside the 48-hour window) and ``url`` (where the template message opens).
    """
    result = session.execute(
        insert_or_ignore(session, OutboxMessage)
        .values(dedup_key=dedup_key, kind=kind, member_id=member_id, payload=dict(payload),
                due_at=due_at, status=PENDING, attempts=0, created_at=now)
        # rowcount is not reliable for ORM-enabled inserts on every driver; RETURNING is.
        .returning(OutboxMessage.id)
    )
    return result.first() is not None


def enqueue_for_members(session: Session, *, members: Select[int] | Select[int | None],
                        key_prefix: str,
                        kind: str, payload: Mapping[str, Any], due_at: datetime,
                        now: datetime) -> int:
    """Queue one message to each member id ``members`` selects, in one statement.

    Each row's dedup key is ``key_prefix`` followed by the member id, so running it
    again (or for members some of whom already have their row) adds only the
    missing ones. Returns how many rows are new.
    """
    return _insert_for_members(session, members, key_prefix, kind, payload, due_at, now,
                               status=PENDING)


def record_settled_for_members(session: Session, *, member_ids: Collection[int],
                               key_prefix: str, kind: str, payload: Mapping[str, Any],
                               status: str, channel: str | None, reason: str | None,
                               now: datetime) -> int:
    """Record, in one statement, a message to each of these members that went out
    another way or cannot go at all, so that it is counted with the others; members
    who already have their row (``key_prefix`` + id) are left as they are.

    ``status`` is ``sent`` (with the ``channel`` that carried it: a notice's mass
    send to a tag), ``unsendable`` or ``failed``; ``reason`` says why it is not sent
    (``last_error``), or for a sent one why the member could not be reached one by one
    (the payload's ``individual_reason``: ``last_error`` is for failures, which
    ``hongxin outbox`` lists). The dispatcher never claims these rows.
    """
    if status not in (SENT, UNSENDABLE, FAILED):
        raise ValueError(f"a settled row is sent, unsendable or failed, not {status}")
    if not member_ids:
        return 0
    sent = status == SENT
    stored = {**payload, "individual_reason": reason} if sent and reason else dict(payload)
    members = select(Member.id).where(Member.id.in_(list(member_ids)))
    return _insert_for_members(session, members, key_prefix, kind, stored, now, now,
                               status=status, channel=channel,
                               last_error=None if sent else reason,
                               sent_at=now if sent else None)


def _insert_for_members(session: Session, members: Select[int] | Select[int | None],
                        key_prefix: str, kind: str, payload: Mapping[str, Any],
                        due_at: datetime, now: datetime, *, status: str,
                        channel: str | None = None, last_error: str | None = None,
                        sent_at: datetime | None = None) -> int:
    chosen = members.subquery()
    member_id: ColumnElement[int | None] = chosen.c[0]
    rows = select(
        literal(key_prefix, String) + cast(member_id, String), literal(kind, String),
        member_id, literal(dict(payload), OutboxMessage.payload.type),
        literal(due_at, OutboxMessage.due_at.type), literal(status, String), literal(0),
        literal(now, OutboxMessage.created_at.type), literal(channel, String),
        literal(last_error, Text), literal(sent_at, OutboxMessage.sent_at.type),
    ).select_from(chosen)
    result = session.execute(
        insert_or_ignore(session, OutboxMessage).from_select(
            ["dedup_key", "kind", "member_id", "payload", "due_at", "status", "attempts",
             "created_at", "channel", "last_error", "sent_at"],
            # SQLite reads "SELECT … ON CONFLICT" as a join without a WHERE in between.
            rows.where(member_id.is_not(None)),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class FailedRow:
    id: int
    kind: str
    status: str
    attempts: int
    last_error: str | None
    updated: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    counts: dict[str, int]
    last_errors: list[FailedRow]
    oldest_due_pending: datetime | None


def summary(session: Session, *, errors: int = 10) -> Summary:
    """Counts by status, the latest failures and the oldest pending due time."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ):
        counts[status] = count
    failures = session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.status,
               OutboxMessage.attempts, OutboxMessage.last_error, OutboxMessage.due_at)
        .where(OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        .limit(errors)
    ).all()
    oldest = session.scalar(
        select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == PENDING)
    )
    return Summary(counts, [FailedRow(*row) for row in failures], oldest)


def retry(session: Session, now: datetime, *, row_id: int | None = None,
          all_failed: bool = False) -> int:
    """Put failed (or unsendable) rows back to pending, due now; returns how many."""
    statement = update(OutboxMessage).values(
        status=PENDING, due_at=now, attempts=0, lease_until=None, claimed_by=None
    ).execution_options(synchronize_session=False)
    if row_id is not None:
        statement = statement.where(OutboxMessage.id == row_id,
                                    OutboxMessage.status.in_((FAILED, UNSENDABLE)))
    elif all_failed:
        statement = statement.where(OutboxMessage.status == FAILED)
    else:
        raise ValueError("give row_id or all_failed")
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)
