"""What the scheduler runs. Each job opens its own unit of work and may run in
several processes at once: dedup keys and the outbox's claims make that safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.events.attendance import close_ended_meetings
from app.events.compliance import remind_secretaries
from app.lessons.links import ReadingLinks
from app.lessons.service import todays_lesson
from app.models import InboundMessage, Lesson, Member, OutboxMessage
from app.outbox.planner import CUSTOM_WINDOW, plan_daily_lesson
from app.outbox.reach import load_recipients
from app.outbox.service import SENT, UNSENDABLE, WITHDRAWN, enqueue
from app.ratelimit import counter as ratelimit
from bots import texts

log = logging.getLogger("hongxin.scheduler")

# WeChat retries a callback within about 15 seconds; two days is ample for the
# dedup claims and keeps the table small.
INBOUND_RETENTION = timedelta(days=2)
# Finished outbox rows are kept a while for `hongxin outbox` and the budget count
# (which needs only the last 48 hours).
OUTBOX_RETENTION = timedelta(days=30)
# Keeps each IN list of the daily push well under SQLite's bound-parameter limit.
_RECIPIENTS_PER_QUERY = 500

HousekeepingHook = Callable[[Session, datetime], int]
"""Deletes or closes something stale at ``now``; returns how many rows it touched."""

HOUSEKEEPING_HOOKS: dict[str, HousekeepingHook] = {}


def register_housekeeping(name: str, hook: HousekeepingHook) -> None:
    """Run ``hook`` with every housekeeping pass (e.g. expiring abandoned quiz attempts)."""
    HOUSEKEEPING_HOOKS[name] = hook


def housekeeping(session: Session, now: datetime) -> dict[str, int]:
    """Delete old retry-dedup claims, finished outbox rows and dead rate-limit counters;
    run the registered hooks."""
    done: dict[str, int] = {}
    result = session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < now - INBOUND_RETENTION)
        .execution_options(synchronize_session=False)
    )
    done["inbound_messages"] = int(getattr(result, "rowcount", 0) or 0)
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_((SENT, UNSENDABLE, WITHDRAWN)),
               OutboxMessage.due_at < now - OUTBOX_RETENTION)
        .execution_options(synchronize_session=False)
    )
    done["outbox"] = int(getattr(result, "rowcount", 0) or 0)
    done["rate_limit_counters"] = ratelimit.purge(session, now)
    for name, hook in HOUSEKEEPING_HOOKS.items():
        done[name] = hook(session, now)
    return done


def meetings(session: Session, now: datetime, zone: ZoneInfo) -> dict[str, int]:
    """Make the attendance of ended meetings final; remind 书记 of statutory meetings
    missing from a period that closes within a week."""
    return {"meetings_closed": close_ended_meetings(session, now, zone),
            "compliance_reminders": remind_secretaries(session, now, zone)}


def daily_lesson_key(today: date, member_id: int) -> str:
    return f"daily-lesson:{today.isoformat()}:{member_id}"


def queue_daily_lesson(session: Session, today: date, now: datetime, *,
                       links: ReadingLinks) -> int:
    """Queue today's lesson for every member it can reach now; returns how many rows are new.

    Members who sent 退订 get nothing. The lesson goes only as a customer-service
    message (see :func:`app.outbox.planner.plan_daily_lesson`), so members
    whose 48-hour window is closed, or whose budget is used, are skipped here
    rather than queued to fail: the day's lesson stays one ``学习`` away.
    """
    lesson = todays_lesson(session, today)
    if lesson is None:
        log.info("no lesson for %s; nothing pushed", today.isoformat())
        return 0
    wanting = session.scalars(
        select(Member.id).where(Member.daily_push.is_(True), Member.subscribed.is_(True),
                                Member.last_interaction_at > now - CUSTOM_WINDOW)
        .order_by(Member.id)
    ).all()
    queued = skipped = 0
    for start in range(0, len(wanting), _RECIPIENTS_PER_QUERY):
        recipients = load_recipients(session, wanting[start:start + _RECIPIENTS_PER_QUERY])
        for member_id, recipient in recipients.items():
            if plan_daily_lesson(recipient.reach, now).channel is None:
                skipped += 1
                continue
            queued += enqueue(session, dedup_key=daily_lesson_key(today, member_id),
                              kind="daily_lesson", member_id=member_id,
                              payload=_daily_lesson_payload(lesson, links, member_id),
                              due_at=now, now=now)
    log.info("daily lesson %d queued for %d members; %d skipped (budget used)",
             lesson.id, queued, skipped)
    return queued


def _daily_lesson_payload(lesson: Lesson, links: ReadingLinks, member_id: int) -> dict[str, Any]:
    # No template_data: the template channel is not for content pushes.
    link = links.for_member(lesson.id, member_id)
    return {
        "text": texts.daily_lesson_push(lesson.title, lesson.summary, link),
        "articles": [{"title": lesson.title, "description": texts.lesson_description(
            lesson.summary), "url": link, "picurl": lesson.cover_url or ""}],
    }
