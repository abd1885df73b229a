"""Outbox rows that sign-ups and event changes cause, written in the same transaction.

They go through the outbox service, the one writer of outbox rows; the
outbox dispatcher sends them. Their shapes:

* ``event_reminder``, dedup ``event-reminder:{signup_id}``, due at
  ``starts_at − remind_before_minutes``; a cancel withdraws it, a move moves it;
* ``waitlist_promotion``, dedup ``waitlist-promotion:{signup_id}``, due now;
* ``event_cancelled``, dedup ``event-cancelled:{event_id}:{member_id}``, due now.

Every payload is ``{"text": customer-service text, "template_data": {thing1,
time2, thing3}}``; template values keep the platform's rules (one line, at most
20 characters). A reminder's payload also has ``expires_at``, the event's start:
the dispatcher does not send it after that (say the platform was down until then).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, literal, select, update
from sqlalchemy.orm import Session

from app.models import Event, OutboxMessage, Signup
from app.outbox.service import PENDING, WITHDRAWN, enqueue
from app.wechat.api import template_value
from bots import texts

REMINDER = "event_reminder"
PROMOTION = "waitlist_promotion"
CANCELLED = "event_cancelled"


def reminder_key(signup_id: int) -> str:
    return f"event-reminder:{signup_id}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y年%m月%d日 %H:%M")


def _payload(text: str, event: Event, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "text": text,
        "template_data": {
            "thing1": template_value(event.title),
            "time2": local_time(event.starts_at, zone),
            "thing3": template_value(event.location),
        },
    }


def reminder_payload(event: Event, zone: ZoneInfo) -> dict[str, Any]:
    when = local_time(event.starts_at, zone)
    payload = _payload(texts.event_reminder(event.title, when, event.location), event, zone)
    payload["expires_at"] = event.starts_at.isoformat()
    return payload


def reminder_due(event: Event, now: datetime) -> datetime:
    # Signing up inside the lead time still gets a reminder, straight away.
    return max(event.starts_at - timedelta(minutes=event.remind_before_minutes), now)


def schedule_reminder(session: Session, event: Event, signup_id: int, member_id: int,
                      now: datetime, zone: ZoneInfo) -> None:
    enqueue(session, dedup_key=reminder_key(signup_id), kind=REMINDER, member_id=member_id,
             payload=reminder_payload(event, zone), due_at=reminder_due(event, now), now=now)


def withdraw_reminder(session: Session, signup_id: int) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedup_key == reminder_key(signup_id),
               OutboxMessage.status == PENDING)
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


def _pending_reminders_of(event_id: int) -> Any:
    keys = select(literal("event-reminder:") + cast(Signup.id, String)).where(
        Signup.event_id == event_id)
    return (OutboxMessage.kind == REMINDER, OutboxMessage.status == PENDING,
            OutboxMessage.dedup_key.in_(keys))


def reschedule_reminders(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> int:
    """Move the pending reminders of ``event`` to its (new) time and wording."""
    result = session.execute(
        update(OutboxMessage)
        .where(*_pending_reminders_of(event.id))
        .values(due_at=reminder_due(event, now), payload=reminder_payload(event, zone))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def withdraw_event_reminders(session: Session, event_id: int) -> None:
    session.execute(
        update(OutboxMessage)
        .where(*_pending_reminders_of(event_id))
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )


def tell_promoted(session: Session, event: Event, signup: Signup, now: datetime,
                  zone: ZoneInfo) -> None:
    when = local_time(event.starts_at, zone)
    enqueue(session, dedup_key=f"waitlist-promotion:{signup.id}", kind=PROMOTION,
             member_id=signup.member_id,
             payload=_payload(texts.waitlist_promoted(event.id, event.title, when,
                                                      event.location), event, zone),
             due_at=now, now=now)


def tell_cancelled(session: Session, event: Event, member_id: int, now: datetime,
                   zone: ZoneInfo) -> None:
    when = local_time(event.starts_at, zone)
    enqueue(session, dedup_key=f"event-cancelled:{event.id}:{member_id}", kind=CANCELLED,
             member_id=member_id,
             payload=_payload(texts.event_cancelled(event.title, when), event, zone),
             due_at=now, now=now)
